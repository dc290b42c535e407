// Jest global setup for the end-to-end project: some suites run the real server and acsctl as
// child processes (SIGKILL tests), so dist/ must hold the current code, not a stale build. The
// browser tests load the web console the server serves from dist/console.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export default function buildDist() {
  // Names this run's PostgreSQL databases (ACS_TEST_DATABASE=postgres), so the teardown drops
  // exactly those and never another run's on the same cluster.
  process.env.ACS_TEST_PG_RUN ??= randomBytes(3).toString('hex');
  // .ci/run has just built all of it (npm run build) and says so: no second build per pass.
  if (process.env.ACS_E2E_DIST_READY === '1') return;
  // Builds only what changed since the last build (scripts/build.mjs compares modification times).
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
