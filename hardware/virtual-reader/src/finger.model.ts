import { seededRandom } from '@acs/clock';

/**
 * Simulated fingers. A finger is a name; its "ridge features" are a fixed pseudo-random vector
 * derived from the name. Each capture replaces a fraction of the features with noise, so two
 * captures of one finger agree on most features (high score) and two different fingers agree
 * only by chance (score near zero). Scores land in the 0..400 range real modules report
 * (FingerprintDoorbell reports 1..400: docs/r503-protocol.md §Flows).
 */

export const FEATURE_COUNT = 128;
/** Bytes before the feature vector in a template: a made-up magic so junk is recognisable. */
export const TEMPLATE_MAGIC = Buffer.from([0x03, 0x01, 0x56, 0x52]);
export const MAX_SCORE = 400;

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function fingerFeatures(finger: string): Buffer {
  const rnd = seededRandom(fnv1a(`finger:${finger}`));
  const f = Buffer.alloc(FEATURE_COUNT);
  for (let i = 0; i < f.length; i++) f[i] = Math.floor(rnd() * 256);
  return f;
}

/** One capture of `finger`: each feature replaced by noise with probability `noise`. */
export function captureFeatures(finger: string, rnd: () => number, noise = 0.1): Buffer {
  const f = fingerFeatures(finger);
  for (let i = 0; i < f.length; i++) if (rnd() < noise) f[i] = Math.floor(rnd() * 256);
  return f;
}

/** Lay features out as a template of `size` bytes; the tail is filler derived from the features. */
export function featuresToTemplate(features: Buffer, size: number): Buffer {
  const t = Buffer.alloc(size);
  TEMPLATE_MAGIC.copy(t, 0);
  features.copy(t, TEMPLATE_MAGIC.length, 0, Math.min(features.length, size - TEMPLATE_MAGIC.length));
  const rnd = seededRandom(fnv1a(features.toString('hex')));
  for (let i = TEMPLATE_MAGIC.length + features.length; i < size; i++) t[i] = Math.floor(rnd() * 256);
  return t;
}

export function templateFeatures(template: Buffer): Buffer | null {
  if (template.length < TEMPLATE_MAGIC.length + FEATURE_COUNT) return null;
  if (!template.subarray(0, TEMPLATE_MAGIC.length).equals(TEMPLATE_MAGIC)) return null;
  return template.subarray(TEMPLATE_MAGIC.length, TEMPLATE_MAGIC.length + FEATURE_COUNT);
}

export function matchScore(a: Buffer, b: Buffer): number {
  let same = 0;
  for (let i = 0; i < FEATURE_COUNT; i++) if (a[i] === b[i]) same++;
  return Math.round((same / FEATURE_COUNT) * MAX_SCORE);
}

/** Per-feature majority vote over the captures (ties go to the earliest capture). */
export function mergeFeatures(captures: Buffer[]): Buffer {
  const out = Buffer.alloc(FEATURE_COUNT);
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const votes = new Map<number, number>();
    let best = captures[0][i];
    let bestVotes = 0;
    for (const c of captures) {
      const v = (votes.get(c[i]) ?? 0) + 1;
      votes.set(c[i], v);
      if (v > bestVotes) {
        best = c[i];
        bestVotes = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Security level 1..5: higher means a stricter match threshold (docs/r503-protocol.md §System parameters). */
export function matchThreshold(securityLevel: number): number {
  return 30 + 15 * (Math.min(Math.max(securityLevel, 1), 5) - 1);
}
