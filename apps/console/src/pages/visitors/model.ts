import type { Schemas } from '../../api';
import type { Tone } from '../../ui';

export type Visitor = Schemas['VisitorView'];
export type VisitorStatus = Visitor['status'];

export const STATUS_LABEL: Record<VisitorStatus, string> = {
  expected: 'expected',
  checked_in: 'checked in',
  left: 'left',
  no_show: 'no-show',
  cancelled: 'cancelled',
  erased: 'erased',
};

export const STATUS_TONE: Record<VisitorStatus, Tone> = {
  expected: 'info',
  checked_in: 'ok',
  left: 'idle',
  no_show: 'warn',
  cancelled: 'idle',
  erased: 'idle',
};

/** "09:30–17:00" in the browser's time zone (the desk's), the date apart. */
export function windowText(v: Pick<Visitor, 'windowStart' | 'windowEnd'>): string {
  const t = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
  return `${t(v.windowStart)}–${t(v.windowEnd)}`;
}

/** A date and two wall-clock times (the desk's time zone) as the API's instants; undefined when incomplete. */
export function windowToIso(date: string, from: string, until: string): { windowStart: string; windowEnd: string } | undefined {
  if (!date || !from || !until) return undefined;
  const start = new Date(`${date}T${from}`);
  const end = new Date(`${date}T${until}`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return undefined;
  return { windowStart: start.toISOString(), windowEnd: end.toISOString() };
}
