import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkJunkThenCommand, checkSplitCommand, junkSteps } from '../../hardware/virtual-reader/src/testing/frame-fuzz.js';
import { fuzzSettings } from '../support/fuzz.js';

/**
 * The virtual R503's own frame reception (issue 16 item 9): random bytes, truncated, mutated and
 * over-long frames at random pauses, then silence, then a valid command that must be answered at
 * once; and real frames split by short pauses that must not be cut. Fixed seed in npm test,
 * random and twenty times longer in npm run fuzz.
 */
describe('fuzz: virtual reader frame reception', () => {
  const settings = fuzzSettings();

  it('answers a valid command after any junk and a silence, holding no more than one frame meanwhile', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(junkSteps, async (steps) => {
        runs++;
        await checkJunkThenCommand(steps);
      }),
      { seed: settings.seed, numRuns: 400 * settings.factor },
    );
    expect(runs).toBeGreaterThanOrEqual(400 * settings.factor);
  });

  it('never cuts a real frame whose pieces pause for less than the inter-byte timeout', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 6 }), async (cuts, pauses) => {
        runs++;
        await checkSplitCommand(cuts, pauses);
      }),
      { seed: settings.seed + 1, numRuns: 200 * settings.factor },
    );
    expect(runs).toBeGreaterThanOrEqual(200 * settings.factor);
  });
});
