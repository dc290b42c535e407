import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';

describe(FakeClock.name, () => {
  it('stands still until advanced or set', () => {
    const clock = new FakeClock('2026-03-29T00:59:59Z');
    expect(clock.now().toISOString()).toBe('2026-03-29T00:59:59.000Z');
    clock.advance(1000);
    expect(clock.nowMs()).toBe(Date.parse('2026-03-29T01:00:00Z'));
    clock.set('2027-01-01T00:00:00Z');
    expect(clock.now().getUTCFullYear()).toBe(2027);
  });
});
