import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { RateLimitedLog } from './rate-limited-log.js';

describe('RateLimitedLog', () => {
  it('logs a few lines per key and window, then one count', () => {
    const clock = new FakeClock('2026-06-01T12:00:00Z');
    const lines: string[] = [];
    const log = new RateLimitedLog({ log: () => {}, warn: (m) => lines.push(m), error: () => {} }, clock, 3, 60_000);
    for (let i = 0; i < 100; i++) log.warn('ctl-a', `refused ${i}`);
    log.warn('ctl-b', 'refused b');
    expect(lines).toEqual(['refused 0', 'refused 1', 'refused 2 (further lines for ctl-a suppressed for 60 s)', 'refused b']);
    clock.advance(60_000);
    log.warn('ctl-a', 'refused again');
    expect(lines.slice(4)).toEqual(['97 similar lines for ctl-a suppressed in the last 60 s', 'refused again']);
  });
});
