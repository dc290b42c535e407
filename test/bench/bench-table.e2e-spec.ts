import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { type BenchRun, LAST_RUN_FILE, README_FILE, renderReadme, renderTable } from '../../scripts/bench-table.mjs';

/** The README's benchmark table is generated from a run's bench.json (issue 24), never typed. */
describe('README benchmark table (scripts/bench-table.mjs)', () => {
  const run: BenchRun = {
    at: '2026-12-04T10:00:00.000Z',
    quick: false,
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryMiB: 8192, node: 'v20.0.0' },
    results: [
      {
        bench: 'badge-in',
        file: 'badge-in.bench.js',
        ms: 1000,
        figures: [
          { name: 'p99 | one reader', value: 3.25, unit: 'ms', baseline: 2.5, better: 'lower', target: 2, ratio: 1.3, meetsTarget: true },
          { name: 'replay throughput', value: 4044, unit: 'events/s', baseline: 16418, better: 'higher', target: 0.5, ratio: 0.2463, meetsTarget: false },
          { name: 'sign-in p50', value: 60.04, unit: 'ms' },
        ],
      },
      { bench: 'purge', file: 'purge.bench.js', ms: 5000, figures: [], error: 'deadline of 40 min passed\nlast progress: set-up', timedOut: true },
    ],
  };

  it('writes one row per figure with its floor, ratio, target and verdict, and a failed benchmark as failed', () => {
    const rows = renderTable(run)
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| benchmark') && !l.startsWith('| ---'));
    expect(rows).toEqual([
      '| `badge-in` | p99 \\| one reader | 3.25 ms | 2.5 | 1.3 | ≤ 2 | met |',
      '| `badge-in` | replay throughput | 4044 events/s | 16418 | 0.246 | ≥ 0.5 | **missed** |',
      '| `badge-in` | sign-in p50 | 60 ms |  |  |  |  |',
      '| `purge` | **failed** (deadline): deadline of 40 min passed | | | | | |',
    ]);
    expect(renderTable(run)).toContain('2 × Test CPU, 8 GiB, Node v20.0.0');
    expect(renderTable({ ...run, quick: true })).toContain('quick mode');
  });

  it('the committed README table is the rendering of docs/benchmarks/last-run.json', async () => {
    const readme = readFileSync(README_FILE, 'utf8');
    const last = JSON.parse(readFileSync(LAST_RUN_FILE, 'utf8')) as BenchRun;
    expect(await renderReadme(readme, last)).toBe(readme);
    // And a different run would change it: the check can fail.
    expect(await renderReadme(readme, { ...last, at: '1999-01-01T00:00:00.000Z' })).not.toBe(readme);
  });
});
