/**
 * A seeded pseudo-random source (mulberry32, Tommy Ettinger's public-domain 32-bit generator):
 * the same seed gives the same sequence, so a fuzz failure, a generated history or a virtual
 * finger replays exactly. Here beside the clock because both are the nondeterminism a test
 * injects. Eight lines, so not worth a dependency; never for secrets (use node:crypto).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
