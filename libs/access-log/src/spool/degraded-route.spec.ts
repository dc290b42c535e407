import { describe, expect, it } from '@jest/globals';
import { degradedRoute, type DegradedRoute, type DegradedRouteInput } from './degraded-route.js';

const T0 = Date.parse('2026-11-26T09:00:00Z');

describe('degradedRoute (the window rule)', () => {
  it.each<[string, DegradedRouteInput, DegradedRoute]>([
    ['reachable, nothing spooled', { windowS: 900, degradedSince: null, now: T0, spooled: 0 }, 'central'],
    ['reachable, spooled events still replaying: keep the order', { windowS: 900, degradedSince: null, now: T0, spooled: 3 }, 'spool'],
    ['reachable, window 0, events left from an earlier run', { windowS: 0, degradedSince: null, now: T0, spooled: 3 }, 'central'],
    ['degraded at its first instant', { windowS: 900, degradedSince: T0, now: T0, spooled: 0 }, 'spool'],
    ['degraded for 899.999 s', { windowS: 900, degradedSince: T0, now: T0 + 899_999, spooled: 10 }, 'spool'],
    ['degraded for exactly the window', { windowS: 900, degradedSince: T0, now: T0 + 900_000, spooled: 10 }, 'spool'],
    ['degraded 1 ms beyond the window: fail secure', { windowS: 900, degradedSince: T0, now: T0 + 900_001, spooled: 10 }, 'refuse'],
    ['degraded with window 0: fail secure at once', { windowS: 0, degradedSince: T0, now: T0, spooled: 0 }, 'refuse'],
    ['a clock stepped back during the outage stays inside', { windowS: 60, degradedSince: T0, now: T0 - 5000, spooled: 0 }, 'spool'],
  ])('%s', (_label, input, expected) => {
    expect(degradedRoute(input)).toBe(expected);
  });
});
