import { describe, expect, it } from '@jest/globals';
import type { VisitorStatus } from './visitor.entity.js';
import { cancelProblem, checkInProblem, DAY_MS, erasureDue, localDate, statusAtWindowEnd, windowProblem } from './rules.js';

const H = 3_600_000;
const NOW = Date.parse('2026-11-26T09:00:00Z');

describe('visitor rules', () => {
  it.each<[string, number, number, string | null]>([
    ['a morning', NOW + H, NOW + 4 * H, null],
    ['already begun, not over', NOW - H, NOW + H, null],
    ['exactly a day', NOW, NOW + DAY_MS, null],
    ['longer than a day', NOW, NOW + DAY_MS + 1, 'visitor.bad_window'],
    ['ends before it starts', NOW + 2 * H, NOW + H, 'visitor.bad_window'],
    ['empty', NOW + H, NOW + H, 'visitor.bad_window'],
    ['not a time', Number.NaN, NOW, 'visitor.bad_window'],
    ['over', NOW - 3 * H, NOW, 'visitor.window_over'],
  ])('window: %s', (_, start, end, expected) => expect(windowProblem(start, end, NOW)).toBe(expected));

  it.each<[number, string, string]>([
    [Date.parse('2026-11-26T22:59:59Z'), 'Europe/Amsterdam', '2026-11-26'],
    [Date.parse('2026-11-26T23:00:00Z'), 'Europe/Amsterdam', '2026-11-27'],
    [Date.parse('2026-11-26T23:00:00Z'), 'UTC', '2026-11-26'],
    [Date.parse('2026-11-26T03:00:00Z'), 'America/New_York', '2026-11-25'],
  ])('local date of %s in %s: %s', (at, tz, expected) => expect(localDate(at, tz)).toBe(expected));

  it.each<[string, VisitorStatus, boolean, number, number, string | null]>([
    ['expected, ID checked, in the window', 'expected', true, NOW - H, NOW + H, null],
    ['early the same day', 'expected', true, NOW + 2 * H, NOW + 4 * H, null],
    ['a day early', 'expected', true, NOW + DAY_MS + 1, NOW + DAY_MS + H, 'visitor.too_early'],
    ['ID not checked', 'expected', false, NOW - H, NOW + H, 'visitor.id_not_checked'],
    ['window over', 'expected', true, NOW - 2 * H, NOW, 'visitor.window_over'],
    ['already in', 'checked_in', true, NOW - H, NOW + H, 'visitor.not_expected'],
    ['left', 'left', true, NOW - H, NOW + H, 'visitor.not_expected'],
    ['erased', 'erased', true, NOW - H, NOW + H, 'visitor.not_expected'],
    ['cancelled', 'cancelled', true, NOW - H, NOW + H, 'visitor.not_expected'],
  ])('check-in: %s', (_, status, idChecked, start, end, expected) => expect(checkInProblem(status, idChecked, start, end, NOW)).toBe(expected));

  it.each<[VisitorStatus, VisitorStatus | null]>([
    ['expected', 'no_show'],
    ['checked_in', 'left'],
    ['left', null],
    ['no_show', null],
    ['cancelled', null],
    ['erased', null],
  ])('at the window end %s becomes %s', (status, expected) => expect(statusAtWindowEnd(status)).toBe(expected));

  it.each<[VisitorStatus, number, number, boolean]>([
    ['left', NOW - 30 * DAY_MS, 30, true],
    ['left', NOW - 30 * DAY_MS + 1, 30, false],
    ['no_show', NOW - 31 * DAY_MS, 30, true],
    ['expected', NOW, 0, true],
    ['cancelled', NOW - 30 * DAY_MS, 30, true],
    ['erased', NOW - 90 * DAY_MS, 30, false],
  ])('%s ended at %s, kept %s days: due %s', (status, end, days, expected) => expect(erasureDue(status, end, days, NOW)).toBe(expected));

  it.each<[VisitorStatus, string | null]>([
    ['expected', null],
    ['checked_in', 'visitor.not_expected'],
    ['left', 'visitor.not_expected'],
    ['no_show', 'visitor.not_expected'],
    ['cancelled', 'visitor.not_expected'],
    ['erased', 'visitor.not_expected'],
  ])('cancelling a visit that is %s: %s', (status, expected) => expect(cancelProblem(status)).toBe(expected));
});
