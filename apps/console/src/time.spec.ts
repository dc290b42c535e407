import { describe, expect, it } from '@jest/globals';
import { formatClock, formatDateTime, intervalWords, zoneLabel } from './time';

describe('console times', () => {
  // 2026-11-26T17:05:09Z is 18:05:09 in Amsterdam (CET) and 12:05:09 in New York (EST).
  const at = Date.parse('2026-11-26T17:05:09Z');

  it.each([
    ['Europe/Amsterdam', '18:05:09'],
    ['America/New_York', '12:05:09'],
    ['UTC', '17:05:09'],
  ])('shows %s on a 24-hour clock: %s', (zone, clock) => {
    expect(formatDateTime(at, zone)).toContain(clock);
    expect(formatDateTime(at, zone)).not.toMatch(/\b[AP]M\b/);
    expect(formatClock(at, zone)).toBe(clock);
  });

  it('keeps the 24-hour clock past noon in a 12-hour locale', () => {
    // The test process runs in the en-US locale, which would say 6:05:09 PM.
    expect(formatClock(at, 'Europe/Amsterdam')).toBe('18:05:09');
  });

  it.each([
    [null, '—'],
    ['', '—'],
    ['not a time', 'not a time'],
  ])('shows %p as %p', (value, shown) => {
    expect(formatDateTime(value)).toBe(shown);
  });

  it('falls back to the browser zone for an unknown zone name instead of failing', () => {
    expect(formatDateTime(at, 'Mars/Olympus_Mons')).toMatch(/\d{2}:\d{2}:\d{2}/);
  });

  it('names the zone with its offset at that instant', () => {
    expect(zoneLabel('Europe/Amsterdam', at)).toMatch(/^Europe\/Amsterdam \((GMT\+1|CET)\)$/);
    expect(zoneLabel('Europe/Amsterdam', Date.parse('2026-07-01T12:00:00Z'))).toMatch(/^Europe\/Amsterdam \((GMT\+2|CEST)\)$/);
  });

  it.each([
    [3600, 'every hour'],
    [900, 'every 15 minutes'],
    [86_400, 'every day'],
    [172_800, 'every 2 days'],
    [90, 'every 90 seconds'],
    [1, 'every second'],
    [5400, 'every 90 minutes'],
  ])('says an interval of %i s as "%s"', (s, words) => {
    expect(intervalWords(s)).toBe(words);
  });
});
