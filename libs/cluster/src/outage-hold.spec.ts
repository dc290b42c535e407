import { describe, expect, it } from '@jest/globals';
import { outageHold, type OutageHoldInput } from './outage-hold.js';

const T0 = Date.parse('2026-12-04T09:00:00Z');
/** A lease renewed at T0 - 2 s with a 6 s lease: held by our clock until T0 + 4 s. */
const base: OutageHoldInput = { until: T0 + 4000, now: T0, outageSince: null, recoveredAt: null, windowS: 900, graceMs: 2000 };

describe('outageHold (a failover lease kept through a database outage)', () => {
  it.each<[string, Partial<OutageHoldInput>, boolean]>([
    ['within the lease, no outage', {}, true],
    ['within the lease, window 0', { windowS: 0 }, true],
    ['past the lease, no outage: lost', { now: T0 + 4000 }, false],
    ['past the lease, the outage began while it was held: kept', { now: T0 + 60_000, outageSince: T0 + 1000 }, true],
    ['the outage began at the very deadline: kept', { now: T0 + 60_000, outageSince: T0 + 4000 }, true],
    ['the outage began after the lease had lapsed (a paused process waking into it): lost', { now: T0 + 60_000, outageSince: T0 + 4001 }, false],
    ['at exactly the window', { now: T0 + 1000 + 900_000, outageSince: T0 + 1000 }, true],
    ['1 ms beyond the window: lost (the doors fail secure then)', { now: T0 + 1000 + 900_001, outageSince: T0 + 1000 }, false],
    ['window 0: no degraded mode, no hold', { now: T0 + 5000, outageSince: T0 + 1000, windowS: 0 }, false],
    ['back, within one renewal period: the renewal decides', { now: T0 + 31_000, outageSince: T0 + 1000, recoveredAt: T0 + 30_000 }, true],
    ['back, the renewal period over without a renewal: lost', { now: T0 + 32_001, outageSince: T0 + 1000, recoveredAt: T0 + 30_000 }, false],
  ])('%s', (_label, over, expected) => {
    expect(outageHold({ ...base, ...over })).toBe(expected);
  });
});
