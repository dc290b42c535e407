import { processEnv } from '@acs/config';

/**
 * Settings shared by the fuzzers in test/fuzz. `npm test` runs them with a fixed seed and a short
 * budget, so a failure reproduces; `npm run fuzz` sets FUZZ_LONG=1 and a random FUZZ_SEED, prints
 * the seed, and runs many more cases. A failure names the seed (fast-check prints it too), and
 * `FUZZ_SEED=<seed> npm run fuzz` replays it.
 */
export interface FuzzSettings {
  seed: number;
  /** Scale the fuzzer's own case count by this (1 in npm test). */
  factor: number;
  long: boolean;
}

export const DEFAULT_FUZZ_SEED = 20261202;

export function fuzzSettings(): FuzzSettings {
  const env = processEnv();
  const long = env.FUZZ_LONG === '1';
  const seed = env.FUZZ_SEED !== undefined && env.FUZZ_SEED !== '' ? Number(env.FUZZ_SEED) : DEFAULT_FUZZ_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${env.FUZZ_SEED}`);
  return { seed, long, factor: long ? 20 : 1 };
}
