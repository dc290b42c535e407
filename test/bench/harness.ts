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
  /**
   * Longest the run may take before it is stopped and reported as failed (milliseconds), for the
   * full and the quick workload; {@link DEFAULT_DEADLINE_MS} when absent. Generous: a deadline
   * tells a hang from a slow machine, it is not a performance target.
   */
  deadlineMs?: { full?: number; quick?: number };
}

export const DEFAULT_DEADLINE_MS = { full: 15 * 60_000, quick: 5 * 60_000 } as const;

/** The deadline that applies: an override in seconds (BENCH_DEADLINE_S) wins over the benchmark's own. */
export function deadlineFor(bench: Pick<Benchmark, 'deadlineMs'>, quick: boolean, overrideS?: string): number {
  if (overrideS !== undefined && overrideS !== '') {
    const s = Number(overrideS);
    if (!Number.isFinite(s) || s <= 0) throw new RangeError(`BENCH_DEADLINE_S must be a positive number of seconds, got "${overrideS}"`);
    return s * 1000;
  }
  const own = quick ? bench.deadlineMs?.quick : bench.deadlineMs?.full;
  return own ?? (quick ? DEFAULT_DEADLINE_MS.quick : DEFAULT_DEADLINE_MS.full);
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

/**
 * What makes a benchmark's figures unusable, as messages; empty when they are fine. Every
 * benchmark must measure at least one figure against a floor (baseline) from the same run, since
 * only ratios compare across machines; values must be numbers (a step that never finished
 * shows up as NaN), and a floor must be positive or the ratio means nothing.
 */
export function figureProblems(figures: readonly Figure[]): string[] {
  const problems: string[] = [];
  if (figures.length === 0) problems.push('no figures');
  else if (!figures.some((f) => f.baseline !== undefined)) problems.push('no figure has a floor (baseline) measured in the same run');
  for (const f of figures) {
    if (!Number.isFinite(f.value)) problems.push(`"${f.name}" is ${f.value}`);
    if (f.baseline !== undefined && !(Number.isFinite(f.baseline) && f.baseline > 0)) problems.push(`"${f.name}" has floor ${f.baseline}`);
    if (f.target !== undefined && f.baseline === undefined) problems.push(`"${f.name}" has a target ratio but no floor`);
  }
  return problems;
}
