import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { checkFreshness } from './freshness.js';
import { NonceCache } from './nonce-cache.js';

describe('checkFreshness', () => {
  const clock = new FakeClock('2026-06-01T12:00:00Z');
  const now = clock.nowMs();

  it.each([
    [now, 'fresh'],
    [now - 30_000, 'fresh'],
    [now - 30_001, 'stale'],
    [now + 30_000, 'fresh'],
    [now + 30_001, 'future'],
  ])('ts %d -> %s with a 30 s skew', (ts, expected) => {
    expect(checkFreshness(ts, clock, 30_000)).toBe(expected);
  });
});

describe('checkFreshness with a ttl', () => {
  const clock = new FakeClock('2026-06-01T12:00:00Z');
  const now = clock.nowMs();

  it('lets the ttl shorten the window but never widen it', () => {
    expect(checkFreshness(now - 3_000, clock, 30_000, 3_000)).toBe('fresh');
    expect(checkFreshness(now - 3_001, clock, 30_000, 3_000)).toBe('stale');
    expect(checkFreshness(now - 30_001, clock, 30_000, 600_000)).toBe('stale');
    expect(checkFreshness(now + 10_000, clock, 30_000, 3_000)).toBe('fresh'); // the future side is the skew's alone
  });
});

describe('NonceCache', () => {
  it('reports a replay while the nonce could still be fresh and forgets it afterwards', () => {
    const clock = new FakeClock();
    const cache = new NonceCache(clock, 60_000);
    expect(cache.check('n1')).toBe('new');
    clock.advance(59_999);
    expect(cache.check('n1')).toBe('replayed');
    clock.advance(1);
    expect(cache.check('n1')).toBe('new');
  });

  it('fails closed when full of live nonces instead of evicting one', () => {
    const clock = new FakeClock();
    const cache = new NonceCache(clock, 1_000, 2);
    expect(cache.check('a')).toBe('new');
    expect(cache.check('b')).toBe('new');
    expect(cache.check('c')).toBe('full');
    expect(cache.check('a')).toBe('replayed');
    clock.advance(1_000);
    expect(cache.check('c')).toBe('new');
    expect(cache.size).toBe(1);
  });
});
