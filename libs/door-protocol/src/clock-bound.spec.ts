import { describe, expect, it } from '@jest/globals';
import { aheadOfClock, MAX_FUTURE_SKEW_MS } from './freshness.js';

describe('aheadOfClock (upper bound on reported times)', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const year2100 = 4102444800000;

  it.each([
    ['now', { ts: now }, undefined],
    ['at the skew', { ts: now + MAX_FUTURE_SKEW_MS }, undefined],
    ['1 ms past the skew', { ts: now + MAX_FUTURE_SKEW_MS + 1 }, 'ts'],
    ['far in the past (a replayed buffer)', { ts: now - 86_400_000, epoch: now - 90_000_000 }, undefined],
    ['epoch in 2100, ts now', { ts: now, epoch: year2100 }, 'epoch'],
    ['ts in 2100', { ts: year2100, epoch: now }, 'ts'],
    ['absent or not a number (left to the schema)', { ts: undefined, epoch: '4102444800000' }, undefined],
    ['Infinity (left to the schema)', { ts: Infinity }, undefined],
  ])('%s', (_what, times, field) => {
    expect(aheadOfClock(times, now)?.field).toBe(field);
  });

  it('the documented skew is 30 s', () => {
    expect(MAX_FUTURE_SKEW_MS).toBe(30_000);
  });
});
