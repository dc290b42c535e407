/**
 * Weekly schedules in a named IANA time zone.
 *
 * The one rule: an instant is inside a schedule when its *local wall-clock time* (in the
 * schedule's zone) falls within [start, end) of a window that applies to its *local date*.
 * On a holiday (local date listed in `holidays`) only `holidayWindows` apply; otherwise the
 * windows whose `day` is the local ISO weekday apply.
 *
 * Consequences at DST changes, e.g. Europe/Amsterdam:
 * - Spring forward (2026-03-29, 02:00 CET -> 03:00 CEST): local 02:00-02:59 never happens. A
 *   window 01:30-02:30 covers only the real instants 01:30-01:59:59.999 CET (30 minutes); it
 *   does NOT spill over into 03:00-03:30 CEST, because 03:00 is not within [01:30, 02:30). A
 *   window 02:00-02:30 covers nothing that day. A window 01:00-04:00 covers 2 real hours.
 * - Fall back (2026-10-25, 03:00 CEST -> 02:00 CET): local 02:00-02:59 happens twice; both
 *   occurrences are inside a window covering 02:00-03:00 (2 real hours). A window starting at
 *   02:30 is entered twice: at 02:30 CEST and again at 02:30 CET, and left in between when the
 *   clock turns back from 03:00 CEST to 02:00 CET.
 * This is what a person reading the door's sign ("open 01:30-02:30") would expect, and it
 * means "open 08:00-18:00" is always opening at the 08:00 the wall clock shows.
 *
 * Malformed schedules fail closed: an unknown zone is never inside, and a window with a bad
 * time or end <= start never matches. `validateSchedule` reports those problems so the
 * registry can refuse them before they are stored.
 */
import { DateTime, IANAZone } from 'luxon';
import type { Instant, ScheduleFacts, WeeklyWindow } from './model.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;

/** How far `nextScheduleChange` looks ahead by default. A week plus a day covers any weekly pattern. */
export const SCHEDULE_LOOKAHEAD_MS = 8 * DAY_MS;

const WALL_TIME = /^(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Much shorter than the gap between two UTC-offset changes of any real zone. */
const OFFSET_STEP_MS = 6 * 3_600_000;

/** Minutes since local midnight; "24:00" only where an end of day is meaningful. */
function parseWallTime(text: string, allowEndOfDay: boolean): number | undefined {
  const match = WALL_TIME.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours === 24 && minutes === 0) return allowEndOfDay ? MINUTES_PER_DAY : undefined;
  if (hours > 23 || minutes > 59) return undefined;
  return hours * 60 + minutes;
}

interface Span {
  start: number;
  end: number;
}

interface CompiledSchedule {
  zone: IANAZone | undefined;
  /** Index = ISO weekday (1..7); index 0 unused. */
  weekly: Span[][];
  /** Holidays as local day numbers (days since 1970-01-01 on the local calendar). */
  holidays: ReadonlySet<number>;
  holidaySpans: Span[];
}

function toSpan(window: WeeklyWindow): Span | undefined {
  const start = parseWallTime(window.start, false);
  const end = parseWallTime(window.end, true);
  if (start === undefined || end === undefined || end <= start) return undefined;
  return { start, end };
}

function parseLocalDate(text: string): number | undefined {
  if (!LOCAL_DATE.test(text)) return undefined;
  const date = DateTime.fromISO(text, { zone: 'utc' });
  return date.isValid ? Math.floor(date.toMillis() / DAY_MS) : undefined;
}

function compile(schedule: ScheduleFacts): CompiledSchedule {
  // create() caches zones by name; isValidZone would build a new Intl formatter on every call.
  const candidate = IANAZone.create(schedule.timeZone);
  const zone = candidate.isValid ? candidate : undefined;
  const weekly: Span[][] = [[], [], [], [], [], [], [], []];
  for (const window of schedule.windows) {
    const span = toSpan(window);
    if (span && Number.isInteger(window.day) && window.day >= 1 && window.day <= 7) weekly[window.day].push(span);
  }
  const holidaySpans = schedule.holidayWindows.map(toSpan).filter((s): s is Span => s !== undefined);
  const holidays = new Set<number>();
  for (const text of schedule.holidays) {
    const day = parseLocalDate(text);
    if (day !== undefined) holidays.add(day);
  }
  return { zone, weekly, holidays, holidaySpans };
}

/** ISO weekday of a local day number; day 0 (1970-01-01) was a Thursday. */
function weekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

function spansOn(compiled: CompiledSchedule, day: number): Span[] {
  return compiled.holidays.has(day) ? compiled.holidaySpans : compiled.weekly[weekdayOf(day)];
}

/**
 * The answer at `at` given the zone's UTC offset there (minutes, from luxon's zone data).
 * Local wall-clock time written as if it were UTC makes date and minute plain arithmetic.
 */
function withinAtOffset(compiled: CompiledSchedule, at: Instant, offsetMinutes: number): boolean {
  const wall = at + offsetMinutes * MINUTE_MS;
  const day = Math.floor(wall / DAY_MS);
  // Windows are whole minutes, so comparing the truncated minute is exact for [start, end).
  const minute = Math.floor((wall - day * DAY_MS) / MINUTE_MS);
  return spansOn(compiled, day).some((s) => s.start <= minute && minute < s.end);
}

/** Whether the local wall-clock time of `at` falls within one of the windows applying that local date. */
export function isWithinSchedule(schedule: ScheduleFacts, at: Instant): boolean {
  const compiled = compile(schedule);
  return compiled.zone ? withinAtOffset(compiled, at, compiled.zone.offset(at)) : false;
}

/**
 * First instant in (from, to) — or (from, to] when `includeTo` — at which the answer differs
 * from `current`, assuming the offset is constant over that span. With a constant offset the
 * wall clock runs without jumps, so the answer can only change where the wall clock reaches a
 * window boundary or a local midnight.
 */
function firstFlipAtConstantOffset(
  compiled: CompiledSchedule,
  from: Instant,
  to: Instant,
  includeTo: boolean,
  offsetMinutes: number,
  current: boolean,
): Instant | undefined {
  const shift = offsetMinutes * MINUTE_MS;
  const lastDay = Math.floor((to + shift) / DAY_MS);
  for (let day = Math.floor((from + shift) / DAY_MS); day <= lastDay; day++) {
    const boundaries = new Set<number>([0]);
    for (const span of spansOn(compiled, day)) boundaries.add(span.start).add(span.end);
    for (const minute of [...boundaries].sort((a, b) => a - b)) {
      const candidate = day * DAY_MS + minute * MINUTE_MS - shift;
      if (candidate <= from) continue;
      if (candidate > to || (candidate === to && !includeTo)) return undefined;
      if (withinAtOffset(compiled, candidate, offsetMinutes) !== current) return candidate;
    }
  }
  return undefined;
}

/**
 * The first instant after `at` at which `isWithinSchedule` gives the other answer, or undefined
 * if it does not flip within `horizonMs` (e.g. a 24/7 schedule, or one with no windows).
 *
 * Walks forward in steps short enough that a step holds at most one UTC-offset change, and
 * bisects to the exact instant of a change: at that instant the wall clock jumps, which may skip
 * a window boundary (spring forward) or jump back out of a window (fall back), so the jump
 * itself can be the moment the answer flips.
 */
export function nextScheduleChange(schedule: ScheduleFacts, at: Instant, horizonMs: number = SCHEDULE_LOOKAHEAD_MS): Instant | undefined {
  const compiled = compile(schedule);
  const zone = compiled.zone;
  if (!zone) return undefined;
  const limit = at + horizonMs;
  let lo = at;
  let loOffset = zone.offset(lo);
  const current = withinAtOffset(compiled, at, loOffset);
  while (lo < limit) {
    const hi = Math.min(lo + OFFSET_STEP_MS, limit);
    const hiOffset = zone.offset(hi);
    if (hiOffset === loOffset) {
      const flip = firstFlipAtConstantOffset(compiled, lo, hi, true, loOffset, current);
      if (flip !== undefined) return flip;
    } else {
      let a = lo;
      let b = hi;
      while (b - a > 1) {
        const mid = Math.floor((a + b) / 2);
        if (zone.offset(mid) === loOffset) a = mid;
        else b = mid;
      }
      const before = firstFlipAtConstantOffset(compiled, lo, b, false, loOffset, current);
      if (before !== undefined) return before;
      if (withinAtOffset(compiled, b, hiOffset) !== current) return b;
      const after = firstFlipAtConstantOffset(compiled, b, hi, true, hiOffset, current);
      if (after !== undefined) return after;
    }
    lo = hi;
    loOffset = hiOffset;
  }
  return undefined;
}

/** Problems that make a schedule unusable; empty when it is fine. Overlapping windows are allowed. */
export function validateSchedule(schedule: ScheduleFacts): string[] {
  const problems: string[] = [];
  if (!IANAZone.create(schedule.timeZone).isValid) problems.push(`unknown time zone "${schedule.timeZone}"`);
  const checkWindow = (window: WeeklyWindow, label: string, checkDay: boolean): void => {
    if (checkDay && !(Number.isInteger(window.day) && window.day >= 1 && window.day <= 7)) {
      problems.push(`${label}: day must be 1 (Monday) to 7 (Sunday), got ${String(window.day)}`);
    }
    const start = parseWallTime(window.start, false);
    const end = parseWallTime(window.end, true);
    if (start === undefined) problems.push(`${label}: start "${window.start}" is not HH:mm (00:00-23:59)`);
    if (end === undefined) problems.push(`${label}: end "${window.end}" is not HH:mm (00:01-24:00)`);
    if (start !== undefined && end !== undefined && end <= start) {
      problems.push(`${label}: end ${window.end} must be after start ${window.start}`);
    }
  };
  schedule.windows.forEach((w, i) => checkWindow(w, `windows[${i}]`, true));
  schedule.holidayWindows.forEach((w, i) => checkWindow(w, `holidayWindows[${i}]`, false));
  schedule.holidays.forEach((date, i) => {
    if (parseLocalDate(date) === undefined) {
      problems.push(`holidays[${i}]: "${date}" is not a calendar date YYYY-MM-DD`);
    }
  });
  return problems;
}
