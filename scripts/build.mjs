// Builds what is out of date, and nothing else: `npm start`, `npm run acsctl`, the simulators,
// the benchmarks and the end-to-end global setup all call this, so a second start with nothing
// changed costs a walk over the sources' modification times (well under a second) instead of a
// full TypeScript and Vite build. `--force` rebuilds everything (CI does, from a clean clone).
//
// Two outputs, each with a stamp written after a successful build:
//   dist/.built-server   TypeScript: server, acsctl, simulators, benchmarks (tsconfig.build.json,
//                        one program, then tsc-alias rewrites the @acs/* paths for Node)
//   dist/console/.built  the web console (Vite)
// A build is due when any input is newer than its stamp (git checkouts and edits both touch it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const targets = {
  server: {
    stamp: 'dist/.built-server',
    inputs: ['apps/server', 'apps/cli', 'libs', 'hardware', 'migrations', 'test/bench', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    skip: /(\.spec\.ts|\.e2e-spec\.ts)$/,
    run: () => {
      // tsc's incremental state remembers what it emitted, not whether it is still there: without
      // this, an output deleted from dist is never written again.
      if (force) rmSync(join(root, 'dist/.tsbuildinfo'), { force: true });
      execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
      execFileSync(bin('tsc-alias'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    },
  },
  console: {
    stamp: 'dist/console/.built',
    inputs: ['apps/console', 'libs/event-stream', 'package-lock.json'],
    skip: /\.spec\.tsx?$/,
    // NODE_ENV pinned: under Jest it is "test", with which Vite bundles React's development build
    // (StrictMode runs every effect twice, aborting the first requests), not what users get.
    run: () =>
      execFileSync(bin('vite'), ['build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' },
      }),
  },
};

function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

/** Newest modification time below the inputs (files only; node_modules and dist never count). */
function newest(paths, skip) {
  let max = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && name !== 'dist') visit(join(p, name));
    } else if (!skip.test(p)) {
      max = Math.max(max, st.mtimeMs);
    }
  };
  for (const p of paths) visit(join(root, p));
  return max;
}

function stampTime(stamp) {
  return existsSync(join(root, stamp)) ? statSync(join(root, stamp)).mtimeMs : 0;
}

for (const [name, t] of Object.entries(targets)) {
  if (only.length > 0 && !only.includes(name)) continue;
  if (!force && newest(t.inputs, t.skip) <= stampTime(t.stamp)) continue;
  const started = performance.now();
  const startedAt = new Date();
  if (!quiet) console.error(`build: ${name} is out of date, building (the first build takes about a minute; later starts skip it)`);
  t.run();
  mkdirSync(join(root, t.stamp, '..'), { recursive: true });
  writeFileSync(join(root, t.stamp), `${startedAt.toISOString()}\n`);
  // The stamp carries the build's start time: a file saved while the build ran is newer than it.
  utimesSync(join(root, t.stamp), startedAt, startedAt);
  if (!quiet) console.error(`build: ${name} built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
