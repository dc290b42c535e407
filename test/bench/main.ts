import { mkdtempSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadlineFor, figureProblems, meetsTarget, ratio } from './harness.js';
import { runIsolated } from './isolate.js';
import type { BenchRun } from '../../scripts/bench-table.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1';
// Checked here once, so a bad value fails before the first benchmark instead of in every child.
deadlineFor({}, quick, process.env.BENCH_DEADLINE_S);

function fmt(n: number | undefined, digits = 3): string {
  if (n === undefined) return '-';
  return Math.abs(n) >= 1000 ? n.toFixed(0) : n.toPrecision(digits);
}

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results: BenchRun['results'] = [];
let failures = 0;
for (const file of files) {
  const tmpDir = mkdtempSync(join(tmpdir(), 'acs-bench-'));
  // Each benchmark in its own process under its deadline: a hang fails that benchmark, clearly,
  // and the others still run (isolate.ts says why a timer in this process would not do).
  const run = await runIsolated({
    entry: join(here, 'child.js'),
    args: [join(here, file), tmpDir],
    label: file,
    onStart: (name) => console.log(`\n# ${name}`),
  });
  rmSync(tmpDir, { recursive: true, force: true });
  const problems = run.figures ? figureProblems(run.figures) : [];
  if (run.error === undefined && problems.length > 0) run.error = `unusable figures: ${problems.join('; ')}`;
  // Ratio and verdict stored with each figure, so tables built from bench.json need no arithmetic.
  const figures = (run.figures ?? []).map((f) => ({ ...f, ratio: ratio(f), meetsTarget: meetsTarget(f) }));
  results.push({ bench: run.name, file, ms: Math.round(run.ms), figures, ...(run.error ? { error: run.error, timedOut: run.timedOut } : {}) });
  for (const f of run.figures ?? []) {
    const r = ratio(f);
    const ok = meetsTarget(f);
    const target = f.target === undefined ? '' : ` target ${f.better === 'higher' ? '>=' : '<='} ${f.target}`;
    const verdict = ok === undefined ? '' : ok ? '  ok' : '  MISSED';
    console.log(
      `  ${f.name.padEnd(48)} ${fmt(f.value).padStart(10)} ${f.unit.padEnd(8)}` +
        (f.baseline === undefined ? '' : ` baseline ${fmt(f.baseline)} ratio ${fmt(r)}${target}${verdict}`),
    );
  }
  if (run.error !== undefined) {
    failures++;
    console.error(`  FAILED: ${run.name}: ${run.error}`);
  }
}

mkdirSync('test-output', { recursive: true });
// The machine beside the figures: absolute times only compare on the same kind (ratios travel).
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version };
writeFileSync(join('test-output', 'bench.json'), JSON.stringify({ at: new Date().toISOString(), quick, machine, results }, null, 2));
console.log(`\n${files.length} benchmark file(s), ${failures} failed; figures in test-output/bench.json`);
process.exitCode = failures > 0 ? 1 : 0;
