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
  holidays: ReadonlySet<string>;
  holidaySpans: Span[];
}

function toSpan(window: WeeklyWindow): Span | undefined {
  const start = parseWallTime(window.start, false);
  const end = parseWallTime(window.end, true);
  if (start === undefined || end === undefined || end <= start) return undefined;
  return { start, end };
}

function compile(schedule: ScheduleFacts): CompiledSchedule {
  const zone = IANAZone.isValidZone(schedule.timeZone) ? IANAZone.create(schedule.timeZone) : undefined;
  const weekly: Span[][] = [[], [], [], [], [], [], [], []];
  for (const window of schedule.windows) {
    const span = toSpan(window);
    if (span && Number.isInteger(window.day) && window.day >= 1 && window.day <= 7) weekly[window.day].push(span);
  }
  const holidaySpans = schedule.holidayWindows.map(toSpan).filter((s): s is Span => s !== undefined);
  return { zone, weekly, holidays: new Set(schedule.holidays), holidaySpans };
}

function spansOn(compiled: CompiledSchedule, isoDate: string, weekday: number): Span[] {
  return compiled.holidays.has(isoDate) ? compiled.holidaySpans : compiled.weekly[weekday];
}

function within(compiled: CompiledSchedule, zone: IANAZone, at: Instant): boolean {
  const local = DateTime.fromMillis(at, { zone });
  const minute = local.hour * 60 + local.minute;
  // Windows are whole minutes, so comparing the truncated minute is exact for [start, end).
  return spansOn(compiled, local.toISODate()!, local.weekday).some((s) => s.start <= minute && minute < s.end);
}

/** Whether the local wall-clock time of `at` falls within one of the windows applying that local date. */
export function isWithinSchedule(schedule: ScheduleFacts, at: Instant): boolean {
  const compiled = compile(schedule);
  return compiled.zone ? within(compiled, compiled.zone, at) : false;
}

/**
 * Every real instant whose local wall-clock reading is `wallMs` (local time written as if it
 * were UTC): none in a spring-forward gap, two in a fall-back overlap. The offsets a wall time
 * can have are those in force a day either side of it.
 */
function occurrences(zone: IANAZone, wallMs: number): Instant[] {
  const found = new Set<Instant>();
  for (const offset of [zone.offset(wallMs - DAY_MS), zone.offset(wallMs + DAY_MS)]) {
    const instant = wallMs - offset * MINUTE_MS;
    if (zone.offset(instant) === offset) found.add(instant);
  }
  return [...found];
}

/**
 * Instants in (from, to] at which the zone's UTC offset changes. When the clock jumps, a window
 * boundary may never be shown on the wall clock (spring forward) or the clock may jump back out
 * of a window (fall back); the jump itself is then the moment the answer flips.
 */
function offsetTransitions(zone: IANAZone, from: Instant, to: Instant): Instant[] {
  // Six hours is far shorter than the gap between any two real transitions of one zone.
  const step = 6 * 3_600_000;
  const result: Instant[] = [];
  let lo = from;
  let loOffset = zone.offset(lo);
  while (lo < to) {
    const hi = Math.min(lo + step, to);
    const hiOffset = zone.offset(hi);
    if (hiOffset !== loOffset) {
      let a = lo;
      let b = hi;
      while (b - a > 1) {
        const mid = Math.floor((a + b) / 2);
        if (zone.offset(mid) === loOffset) a = mid;
        else b = mid;
      }
      result.push(b);
    }
    lo = hi;
    loOffset = hiOffset;
  }
  return result;
}

/**
 * The first instant after `at` at which `isWithinSchedule` gives the other answer, or undefined
 * if it does not flip within `horizonMs` (e.g. a 24/7 schedule, or one with no windows).
 */
export function nextScheduleChange(
  schedule: ScheduleFacts,
  at: Instant,
  horizonMs: number = SCHEDULE_LOOKAHEAD_MS,
): Instant | undefined {
  const compiled = compile(schedule);
  const zone = compiled.zone;
  if (!zone) return undefined;
  const limit = at + horizonMs;
  const current = within(compiled, zone, at);

  // Between two consecutive candidates the wall clock runs without jumps and passes no window
  // boundary and no midnight, so the answer is constant there.
  const candidates = new Set<Instant>(offsetTransitions(zone, at, limit));
  const firstDay = DateTime.fromMillis(at, { zone }).setZone('utc', { keepLocalTime: true }).startOf('day');
  const days = Math.ceil(horizonMs / DAY_MS) + 2;
  for (let n = -1; n <= days; n++) {
    const day = firstDay.plus({ days: n });
    const boundaries = new Set<number>([0]);
    for (const span of spansOn(compiled, day.toISODate()!, day.weekday)) {
      boundaries.add(span.start);
      if (span.end < MINUTES_PER_DAY) boundaries.add(span.end);
    }
    for (const minute of boundaries) {
      for (const instant of occurrences(zone, day.toMillis() + minute * MINUTE_MS)) candidates.add(instant);
    }
  }

  const ordered = [...candidates].filter((c) => c > at && c <= limit).sort((a, b) => a - b);
  return ordered.find((c) => within(compiled, zone, c) !== current);
}

/** Problems that make a schedule unusable; empty when it is fine. Overlapping windows are allowed. */
export function validateSchedule(schedule: ScheduleFacts): string[] {
  const problems: string[] = [];
  if (!IANAZone.isValidZone(schedule.timeZone)) problems.push(`unknown time zone "${schedule.timeZone}"`);
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
    if (!LOCAL_DATE.test(date) || !DateTime.fromISO(date, { zone: 'utc' }).isValid) {
      problems.push(`holidays[${i}]: "${date}" is not a calendar date YYYY-MM-DD`);
    }
  });
  return problems;
}
