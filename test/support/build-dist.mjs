// Jest global setup for the end-to-end project: some suites run the real server and acsctl as
// child processes (SIGKILL tests), so dist/ must hold the current code, not a stale build. The
// browser tests load the web console the server serves from dist/console.
import { execFileSync } from 'node:child_process';

export default function buildDist() {
  execFileSync('npx', ['vite', 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  for (const project of ['server', 'cli']) {
    execFileSync('npx', ['nest', 'build', project], { stdio: 'inherit' });
  }
}
