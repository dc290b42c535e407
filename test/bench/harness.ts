/**
 * Benchmark harness. Each `*.bench.ts` file in this folder default-exports a {@link Benchmark};
 * `npm run bench` compiles them, runs them one after another and prints every figure next to
 * the raw baseline measured in the same run, so a slow machine moves both numbers together.
 */
export interface Figure {
  /** What was measured, e.g. "unlock round trip p99". */
  name: string;
  value: number;
  unit: string;
  /** The raw baseline of the same quantity in this run, when there is one. */
  baseline?: number;
  /** How the ratio is read: "lower" when smaller ratios are better, "higher" otherwise. */
  better?: 'lower' | 'higher';
  /** The target the issue sets for the ratio, if any. */
  target?: number;
}

export interface BenchContext {
  /** A scratch folder removed after the run. */
  tmpDir: string;
  /** Smaller workloads for a smoke run (BENCH_QUICK=1), same code paths. */
  quick: boolean;
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) throw new RangeError('percentile of an empty sample');
  const rank = Math.ceil((p / 100) * sortedAscending.length) - 1;
  return sortedAscending[Math.min(Math.max(rank, 0), sortedAscending.length - 1)];
}

export function summarise(samplesMs: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length };
}

export function ratio(f: Figure): number | undefined {
  return f.baseline === undefined || f.baseline === 0 ? undefined : f.value / f.baseline;
}

export function meetsTarget(f: Figure): boolean | undefined {
  const r = ratio(f);
  if (r === undefined || f.target === undefined) return undefined;
  return f.better === 'higher' ? r >= f.target : r <= f.target;
}
