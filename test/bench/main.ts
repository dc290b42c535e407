import { mkdtempSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Benchmark, type Figure, meetsTarget, ratio } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1';

function fmt(n: number | undefined, digits = 3): string {
  if (n === undefined) return '-';
  return Math.abs(n) >= 1000 ? n.toFixed(0) : n.toPrecision(digits);
}

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results: Array<{ bench: string; figures: Figure[] }> = [];
let failures = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
  const bench = mod.default;
  const tmpDir = mkdtempSync(join(tmpdir(), 'acs-bench-'));
  console.log(`\n# ${bench.name}`);
  try {
    const figures = await bench.run({ tmpDir, quick, log: (m) => console.log(`  ${m}`) });
    results.push({ bench: bench.name, figures });
    for (const f of figures) {
      const r = ratio(f);
      const ok = meetsTarget(f);
      const target = f.target === undefined ? '' : ` target ${f.better === 'higher' ? '>=' : '<='} ${f.target}`;
      const verdict = ok === undefined ? '' : ok ? '  ok' : '  MISSED';
      console.log(
        `  ${f.name.padEnd(48)} ${fmt(f.value).padStart(10)} ${f.unit.padEnd(8)}` +
          (f.baseline === undefined ? '' : ` baseline ${fmt(f.baseline)} ratio ${fmt(r)}${target}${verdict}`),
      );
    }
  } catch (err) {
    failures++;
    console.error(`  FAILED: ${(err as Error).stack ?? String(err)}`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

mkdirSync('test-output', { recursive: true });
writeFileSync(join('test-output', 'bench.json'), JSON.stringify({ at: new Date().toISOString(), quick, results }, null, 2));
console.log(`\n${files.length} benchmark file(s), ${failures} failed; figures in test-output/bench.json`);
process.exitCode = failures > 0 ? 1 : 0;
