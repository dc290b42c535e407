import type { Figure } from '../test/bench/harness.js';

/** A benchmark run as test/bench/main.ts writes it to test-output/bench.json. */
export interface BenchRun {
  at: string;
  quick: boolean;
  machine?: { cpus: number; cpuModel: string; memoryMiB: number; node: string };
  results: Array<{
    bench: string;
    file: string;
    ms: number;
    figures: Array<Figure & { ratio?: number; meetsTarget?: boolean }>;
    error?: string;
    timedOut?: boolean;
  }>;
}
export declare const README_FILE: string;
export declare const LAST_RUN_FILE: string;
export declare const START: string;
export declare const END: string;
/** The markdown table of a run (unformatted). */
export declare function renderTable(run: BenchRun): string;
/** The README with its bench-table block replaced by the run's table, formatted by Prettier. */
export declare function renderReadme(readme: string, run: BenchRun): Promise<string>;
