import { describe, expect, it } from '@jest/globals';
import { isWithinSchedule, nextScheduleChange, validateSchedule, type ScheduleFacts } from '@acs/access-rules';
import { everyDay, instant, onDays, weekdays } from '@acs/access-rules/testing';

// 2026-03-29 (Sunday): Europe/Amsterdam springs forward 02:00 CET -> 03:00 CEST (01:00Z).
// 2026-10-25 (Sunday): Europe/Amsterdam falls back 03:00 CEST -> 02:00 CET (01:00Z).
// Expected instants below are written with explicit offsets, never computed with luxon.

function schedule(facts: Partial<ScheduleFacts>): ScheduleFacts {
  return { id: 's', timeZone: 'Europe/Amsterdam', windows: [], holidays: [], holidayWindows: [], ...facts };
}

const office = schedule({ windows: weekdays('08:00', '18:00') });
const sundayEarly = schedule({ windows: onDays([7], '01:30', '02:30') });
const sundayTwoToThree = schedule({ windows: onDays([7], '02:00', '03:00') });
const sundayHalfPastTwoToFour = schedule({ windows: onDays([7], '02:30', '04:00') });
const overnight = schedule({
  windows: [
    { day: 5, start: '22:00', end: '24:00' },
    { day: 6, start: '00:00', end: '06:00' },
  ],
});
const christmas = schedule({
  windows: weekdays('08:00', '18:00'),
  holidays: ['2026-12-25', '2026-12-27'],
  holidayWindows: [{ day: 1, start: '10:00', end: '12:00' }],
});
const closedOnHoliday = schedule({ windows: everyDay('08:00', '18:00'), holidays: ['2026-12-25'] });
const singaporeOffice = schedule({ timeZone: 'Asia/Singapore', windows: weekdays('08:00', '18:00') });
const singaporeAllDayExceptHoliday = schedule({
  timeZone: 'Asia/Singapore',
  windows: everyDay('00:00', '24:00'),
  holidays: ['2026-08-10'],
});

describe('isWithinSchedule', () => {
  it.each([
    // ordinary weekday, [start, end)
    ['office, Monday 07:59:59.999', '2026-03-30T07:59:59.999+02:00', false, office],
    ['office, Monday 08:00', '2026-03-30T08:00:00+02:00', true, office],
    ['office, Monday 17:59:59.999', '2026-03-30T17:59:59.999+02:00', true, office],
    ['office, Monday 18:00', '2026-03-30T18:00:00+02:00', false, office],
    ['office, Saturday noon', '2026-03-28T12:00:00+01:00', false, office],
    // spring forward: local 02:00-02:59 does not exist; no spill-over into 03:00 CEST
    ['01:30-02:30 on spring-forward day, 01:29:59 CET', '2026-03-29T01:29:59+01:00', false, sundayEarly],
    ['01:30-02:30 on spring-forward day, 01:30 CET', '2026-03-29T01:30:00+01:00', true, sundayEarly],
    ['01:30-02:30 on spring-forward day, 01:59:59.999 CET', '2026-03-29T01:59:59.999+01:00', true, sundayEarly],
    ['01:30-02:30 on spring-forward day, 03:00 CEST (next real ms)', '2026-03-29T03:00:00+02:00', false, sundayEarly],
    ['01:30-02:30 on spring-forward day, 03:15 CEST', '2026-03-29T03:15:00+02:00', false, sundayEarly],
    ['02:00-03:00 on spring-forward day, last CET ms', '2026-03-29T01:59:59.999+01:00', false, sundayTwoToThree],
    ['02:00-03:00 on spring-forward day, first CEST ms', '2026-03-29T03:00:00+02:00', false, sundayTwoToThree],
    ['01:30-02:30 a week later (no DST)', '2026-04-05T02:15:00+02:00', true, sundayEarly],
    // fall back: local 02:00-02:59 happens twice, both inside
    ['02:00-03:00 on fall-back day, 01:59:59 CEST', '2026-10-25T01:59:59+02:00', false, sundayTwoToThree],
    ['02:00-03:00 on fall-back day, 02:00 CEST (1st)', '2026-10-25T02:00:00+02:00', true, sundayTwoToThree],
    ['02:00-03:00 on fall-back day, 02:59:59 CEST (1st)', '2026-10-25T02:59:59+02:00', true, sundayTwoToThree],
    ['02:00-03:00 on fall-back day, 02:00 CET (2nd)', '2026-10-25T02:00:00+01:00', true, sundayTwoToThree],
    ['02:00-03:00 on fall-back day, 02:59:59.999 CET (2nd)', '2026-10-25T02:59:59.999+01:00', true, sundayTwoToThree],
    ['02:00-03:00 on fall-back day, 03:00 CET', '2026-10-25T03:00:00+01:00', false, sundayTwoToThree],
    ['02:30-04:00 on fall-back day, 02:15 CET (clock went back)', '2026-10-25T02:15:00+01:00', false, sundayHalfPastTwoToFour],
    ['02:30-04:00 on fall-back day, 02:45 CEST', '2026-10-25T02:45:00+02:00', true, sundayHalfPastTwoToFour],
    // "24:00" ends and a night split over two days
    ['overnight, Friday 21:59', '2026-03-27T21:59:00+01:00', false, overnight],
    ['overnight, Friday 23:59:59.999', '2026-03-27T23:59:59.999+01:00', true, overnight],
    ['overnight, Saturday 00:00', '2026-03-28T00:00:00+01:00', true, overnight],
    ['overnight, Saturday 05:59', '2026-03-28T05:59:00+01:00', true, overnight],
    ['overnight, Saturday 06:00', '2026-03-28T06:00:00+01:00', false, overnight],
    ['overnight, Thursday 23:00 (no window)', '2026-03-26T23:00:00+01:00', false, overnight],
    // holidays replace the weekly windows with holidayWindows (their day ignored)
    ['holiday Friday 09:00: weekday window replaced', '2026-12-25T09:00:00+01:00', false, christmas],
    ['holiday Friday 11:00: holiday window', '2026-12-25T11:00:00+01:00', true, christmas],
    ['holiday Friday 12:00: holiday window end', '2026-12-25T12:00:00+01:00', false, christmas],
    ['holiday on a Sunday: holiday window applies', '2026-12-27T11:00:00+01:00', true, christmas],
    ['day before holiday: weekly window', '2026-12-24T09:00:00+01:00', true, christmas],
    ['holiday without holiday windows: closed', '2026-12-25T12:00:00+01:00', false, closedOnHoliday],
    ['day after that holiday: open', '2026-12-26T12:00:00+01:00', true, closedOnHoliday],
    // a zone without DST; holidays are local dates
    ['Singapore, Monday 07:59 SGT', '2026-03-30T07:59:00+08:00', false, singaporeOffice],
    ['Singapore, Monday 08:00 SGT (= 00:00Z)', '2026-03-30T00:00:00Z', true, singaporeOffice],
    ['Singapore, Sunday 23:59 UTC = Monday 07:59 SGT', '2026-03-29T23:59:00Z', false, singaporeOffice],
    ['Singapore holiday starts at local midnight', '2026-08-09T16:00:00Z', false, singaporeAllDayExceptHoliday],
    ['Singapore, last ms before the local holiday', '2026-08-09T15:59:59.999Z', true, singaporeAllDayExceptHoliday],
    // malformed schedules fail closed
    ['unknown zone', '2026-03-30T12:00:00Z', false, schedule({ timeZone: 'Europe/Amsterdm', windows: everyDay('00:00', '24:00') })],
    ['window with end before start', '2026-03-30T12:00:00Z', false, schedule({ windows: everyDay('18:00', '08:00') })],
  ])('%s (%s) -> %s', (_name, at, expected, facts) => {
    expect(isWithinSchedule(facts, instant(at))).toBe(expected);
  });
});

describe('nextScheduleChange', () => {
  it.each([
    ['office open -> closes at 18:00', office, '2026-03-27T12:00:00+01:00', '2026-03-27T18:00:00+01:00'],
    ['office closed Friday (CET) -> Monday 08:00 CEST', office, '2026-03-27T18:00:00+01:00', '2026-03-30T08:00:00+02:00'],
    ['office closed Friday (CEST) -> Monday 08:00 CET', office, '2026-10-23T18:00:00+02:00', '2026-10-26T08:00:00+01:00'],
    ['01:30-02:30 before it opens on spring-forward day', sundayEarly, '2026-03-29T01:00:00+01:00', '2026-03-29T01:30:00+01:00'],
    ['01:30-02:30 closes at the jump to 03:00 CEST', sundayEarly, '2026-03-29T01:45:00+01:00', '2026-03-29T03:00:00+02:00'],
    ['02:00-03:00 never opens on spring-forward day', sundayTwoToThree, '2026-03-28T12:00:00+01:00', '2026-04-05T02:00:00+02:00'],
    ['02:00-03:00 open through both fall-back hours', sundayTwoToThree, '2026-10-25T02:10:00+02:00', '2026-10-25T03:00:00+01:00'],
    ['02:30-04:00 opens at 02:30 CEST', sundayHalfPastTwoToFour, '2026-10-25T02:00:00+02:00', '2026-10-25T02:30:00+02:00'],
    ['02:30-04:00 left when the clock turns back', sundayHalfPastTwoToFour, '2026-10-25T02:45:00+02:00', '2026-10-25T02:00:00+01:00'],
    ['02:30-04:00 re-entered at 02:30 CET', sundayHalfPastTwoToFour, '2026-10-25T02:00:00+01:00', '2026-10-25T02:30:00+01:00'],
    ['02:30-04:00 closes at 04:00 CET', sundayHalfPastTwoToFour, '2026-10-25T02:30:00+01:00', '2026-10-25T04:00:00+01:00'],
    ['overnight: midnight is no change', overnight, '2026-03-27T23:00:00+01:00', '2026-03-28T06:00:00+01:00'],
    ['day before closed holiday -> 18:00', closedOnHoliday, '2026-12-24T12:00:00+01:00', '2026-12-24T18:00:00+01:00'],
    ['closed holiday skipped', closedOnHoliday, '2026-12-24T18:00:00+01:00', '2026-12-26T08:00:00+01:00'],
    ['holiday window opens', christmas, '2026-12-24T18:00:00+01:00', '2026-12-25T10:00:00+01:00'],
    ['Singapore Friday evening -> Monday 08:00 SGT', singaporeOffice, '2026-03-27T18:00:00+08:00', '2026-03-30T08:00:00+08:00'],
    ['Singapore: all day until the local holiday', singaporeAllDayExceptHoliday, '2026-08-09T12:00:00Z', '2026-08-09T16:00:00Z'],
  ])('%s', (_name, facts, at, expected) => {
    expect(nextScheduleChange(facts, instant(at))).toBe(instant(expected));
  });

  it.each([
    ['always open', schedule({ windows: everyDay('00:00', '24:00') })],
    ['never open', schedule({ windows: [] })],
    ['unknown zone', schedule({ timeZone: 'Nowhere/Atlantis', windows: weekdays('08:00', '18:00') })],
  ])('%s: no change within the look-ahead', (_name, facts) => {
    expect(nextScheduleChange(facts, instant('2026-03-25T12:00:00Z'))).toBeUndefined();
  });

  it('honours a shorter horizon', () => {
    const mondays = schedule({ windows: onDays([1], '08:00', '09:00') });
    const tuesday = instant('2026-03-31T12:00:00+02:00');
    expect(nextScheduleChange(mondays, tuesday)).toBe(instant('2026-04-06T08:00:00+02:00'));
    expect(nextScheduleChange(mondays, tuesday, 24 * 3_600_000)).toBeUndefined();
  });

  // Independent of the candidate search: walk minute by minute and check that the answer holds
  // until the reported instant and flips exactly there.
  it.each([
    ['office across spring forward', office, '2026-03-27T19:00:00+01:00'],
    ['01:30-02:30 on spring-forward day', sundayEarly, '2026-03-29T01:40:00+01:00'],
    ['02:30-04:00 on fall-back day', sundayHalfPastTwoToFour, '2026-10-25T02:40:00+02:00'],
    ['02:30-04:00 on fall-back day, second pass', sundayHalfPastTwoToFour, '2026-10-25T02:05:00+01:00'],
    ['overnight', overnight, '2026-03-27T20:00:00+01:00'],
  ])('%s: answer constant up to the change, flipped at it', (_name, facts, at) => {
    const start = instant(at);
    const change = nextScheduleChange(facts, start)!;
    expect(change).toBeGreaterThan(start);
    const before = isWithinSchedule(facts, start);
    const flips: number[] = [];
    for (let t = start; t < change; t += 60_000) {
      if (isWithinSchedule(facts, t) !== before) flips.push(t);
    }
    expect(flips).toEqual([]);
    expect(isWithinSchedule(facts, change - 1)).toBe(before);
    expect(isWithinSchedule(facts, change)).toBe(!before);
  });
});

describe('nextScheduleChange: sweep over both DST weekends', () => {
  // Every change point found from many starting instants is checked against a walk: quarter-hour
  // steps (every window boundary here is on :00 or :30 and offsets change on whole hours, so no
  // interval of constant answer is shorter than 30 minutes), then minute steps to pin the flip.
  const schedules: Array<[string, ScheduleFacts]> = [
    ['office', office],
    ['01:30-02:30 Sunday', sundayEarly],
    ['02:00-03:00 Sunday', sundayTwoToThree],
    ['02:30-04:00 Sunday', sundayHalfPastTwoToFour],
    ['overnight', overnight],
    ['Singapore office', singaporeOffice],
  ];
  const weekends = ['2026-03-28T00:00:00Z', '2026-10-24T00:00:00Z'];
  const QUARTER = 15 * 60_000;

  function walkToFlip(facts: ScheduleFacts, start: number): number | undefined {
    const before = isWithinSchedule(facts, start);
    for (let t = start - (start % QUARTER) + QUARTER; t <= start + 8 * 86_400_000; t += QUARTER) {
      if (isWithinSchedule(facts, t) !== before) {
        let m = Math.max(start + 1, t - QUARTER);
        while (isWithinSchedule(facts, m) === before) m += m % 60_000 === 0 ? 60_000 : 60_000 - (m % 60_000);
        return m;
      }
    }
    return undefined;
  }

  it.each(schedules)('%s', (_name, facts) => {
    const problems: string[] = [];
    for (const weekend of weekends) {
      for (let start = instant(weekend); start < instant(weekend) + 2 * 86_400_000; start += 97 * 60_000 + 13_000) {
        const change = nextScheduleChange(facts, start);
        const walked = walkToFlip(facts, start);
        if (change !== walked) problems.push(`from ${start}: got ${change}, walk found ${walked}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('validateSchedule', () => {
  it.each([
    ['office hours', { windows: weekdays('08:00', '18:00') }],
    ['"24:00" end', { windows: everyDay('00:00', '24:00') }],
    ['overlapping windows', { windows: [...weekdays('08:00', '18:00'), ...weekdays('12:00', '20:00')] }],
    ['holidays and holiday windows', { holidays: ['2026-12-25'], holidayWindows: [{ day: 1 as const, start: '10:00', end: '12:00' }] }],
    ['zone without DST', { timeZone: 'Asia/Singapore' }],
  ])('accepts %s', (_name, facts) => {
    expect(validateSchedule(schedule(facts))).toEqual([]);
  });

  it.each([
    ['single-digit hour', { windows: [{ day: 1 as const, start: '8:00', end: '18:00' }] }, 'windows[0]: start "8:00"'],
    ['hour 25', { windows: [{ day: 1 as const, start: '08:00', end: '25:00' }] }, 'windows[0]: end "25:00"'],
    ['minute 60', { windows: [{ day: 1 as const, start: '08:60', end: '18:00' }] }, 'windows[0]: start "08:60"'],
    ['start "24:00"', { windows: [{ day: 1 as const, start: '24:00', end: '24:00' }] }, 'windows[0]: start "24:00"'],
    ['end equal to start', { windows: [{ day: 2 as const, start: '10:00', end: '10:00' }] }, 'windows[0]: end 10:00 must be after start 10:00'],
    ['end before start', { windows: [{ day: 2 as const, start: '18:00', end: '08:00' }] }, 'windows[0]: end 08:00 must be after start 18:00'],
    ['day 8', { windows: [{ day: 8 as unknown as 1, start: '08:00', end: '18:00' }] }, 'windows[0]: day must be'],
    ['holiday window end before start', { holidayWindows: [{ day: 1 as const, start: '12:00', end: '10:00' }] }, 'holidayWindows[0]: end'],
    ['unknown zone', { timeZone: 'Europe/Amsterdm' }, 'unknown time zone "Europe/Amsterdm"'],
    ['impossible holiday date', { holidays: ['2026-02-30'] }, 'holidays[0]: "2026-02-30"'],
    ['holiday not zero-padded', { holidays: ['2026-2-3'] }, 'holidays[0]: "2026-2-3"'],
    ['holiday with a time', { holidays: ['2026-12-25T00:00'] }, 'holidays[0]'],
  ])('reports %s', (_name, facts, problem) => {
    const problems = validateSchedule(schedule(facts));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });
});
