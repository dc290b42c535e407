import type { VisitorStatus } from './visitor.entity.js';

export const DAY_MS = 86_400_000;
/** A visit is a day's business: a longer window is a contractor, who gets a person and a grant through the portal's requests. */
export const MAX_WINDOW_MS = DAY_MS;

/** Why a window cannot be registered; null when it can. */
export function windowProblem(start: number, end: number, now: number): 'visitor.bad_window' | 'visitor.window_over' | null {
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start || end - start > MAX_WINDOW_MS) return 'visitor.bad_window';
  if (end <= now) return 'visitor.window_over';
  return null;
}

/** The local calendar date (`YYYY-MM-DD`) of an instant in an IANA time zone. */
export function localDate(at: number, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Why a visitor cannot be checked in now; null when they can. */
export function checkInProblem(status: VisitorStatus, idChecked: boolean, windowStart: number, windowEnd: number, now: number): string | null {
  if (status !== 'expected') return 'visitor.not_expected';
  if (now >= windowEnd) return 'visitor.window_over';
  // Early arrivals are let in up to a day before (a window of 09:00 and a visitor at 08:40);
  // the window's start says when they are expected, its end when access stops.
  if (now < windowStart - DAY_MS) return 'visitor.too_early';
  if (!idChecked) return 'visitor.id_not_checked';
  return null;
}

/**
 * Why a visit cannot be cancelled; null when it can. Only an expected visit: once checked in the
 * visitor has a person and a grant, and the desk checks them out instead; a closed visit is history.
 */
export function cancelProblem(status: VisitorStatus): 'visitor.not_expected' | null {
  return status === 'expected' ? null : 'visitor.not_expected';
}

/** What the window's end does to a visit nobody closed: a visitor who never came is a no-show; one inside has left (access ended). */
export function statusAtWindowEnd(status: VisitorStatus): VisitorStatus | null {
  if (status === 'expected') return 'no_show';
  if (status === 'checked_in') return 'left';
  return null;
}

/** The visit's data is erased once its window ended `retentionDays` ago (whatever its status, except erased). */
export function erasureDue(status: VisitorStatus, windowEnd: number, retentionDays: number, now: number): boolean {
  return status !== 'erased' && now >= windowEnd + retentionDays * DAY_MS;
}
