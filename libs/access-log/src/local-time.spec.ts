import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { LocalTimeFormatter } from './local-time.js';

describe(LocalTimeFormatter.name, () => {
  it.each([
    ['Europe/Amsterdam', '2026-03-29T00:59:59.999Z', '2026-03-29T01:59:59.999+01:00'],
    ['Europe/Amsterdam', '2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000+02:00'],
    ['Europe/Amsterdam', '2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000+02:00'],
    ['Europe/Amsterdam', '2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000+01:00'],
    ['America/St_Johns', '2026-03-08T05:29:00.000Z', '2026-03-08T01:59:00.000-03:30'],
    ['Asia/Kathmandu', '2026-06-01T00:00:00.000Z', '2026-06-01T05:45:00.000+05:45'],
    ['UTC', '2026-06-01T00:00:00.000Z', '2026-06-01T00:00:00.000+00:00'],
  ])('formats %s at %s as %s', (zone, utc, expected) => {
    expect(new LocalTimeFormatter(zone).format(Date.parse(utc))).toBe(expected);
  });

  it('agrees with luxon minute by minute across a DST change in a zone that changes at half past', () => {
    const f = new LocalTimeFormatter('America/St_Johns');
    const start = Date.parse('2026-03-08T04:00:00Z');
    for (let ms = start; ms < start + 4 * 3_600_000; ms += 60_000) {
      expect(f.format(ms)).toBe(DateTime.fromMillis(ms, { zone: 'America/St_Johns' }).toISO());
    }
  });

  it('refuses an unknown zone with a stable code', () => {
    expect(() => new LocalTimeFormatter('Mars/Olympus')).toThrow(expect.objectContaining({ code: 'access_log.bad_time_zone' }));
  });
});
