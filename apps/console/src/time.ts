/**
 * Every time the console shows goes through here: a 24-hour clock whatever the browser's locale
 * (a US locale would otherwise give "6:27:04 PM" on the desk while the floor, the exports and the
 * controllers count to 24), the date in the locale's own order, and, where a site's wall clock is
 * meant, that site's time zone named beside it.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function format(kind: 'dateTime' | 'date' | 'time', timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone ?? ''}`;
  let f = formats.get(key);
  if (!f) {
    const style: Intl.DateTimeFormatOptions =
      kind === 'date'
        ? { dateStyle: 'medium' }
        : kind === 'time'
          ? { timeStyle: 'medium', hourCycle: 'h23' }
          : { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' };
    try {
      f = new Intl.DateTimeFormat(undefined, { ...style, ...(timeZone ? { timeZone } : {}) });
    } catch {
      // An unknown zone name from the server: the browser's own zone rather than no time at all.
      f = new Intl.DateTimeFormat(undefined, style);
    }
    formats.set(key, f);
  }
  return f;
}

function instant(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Date and 24-hour time, in the site's zone when given, else the browser's. */
export function formatDateTime(value: string | number | Date | null | undefined, timeZone?: string): string {
  const d = instant(value);
  return d ? format('dateTime', timeZone).format(d) : value === null || value === undefined || value === '' ? '—' : String(value);
}

export function formatDateOnly(value: string | number | Date | null | undefined, timeZone?: string): string {
  const d = instant(value);
  return d ? format('date', timeZone).format(d) : value === null || value === undefined || value === '' ? '—' : String(value);
}

export function formatClock(value: string | number | Date, timeZone?: string): string {
  const d = instant(value);
  return d ? format('time', timeZone).format(d) : String(value);
}

/** "Europe/Amsterdam (GMT+1)": the zone's name and its offset at that instant (summer time moves it). */
export function zoneLabel(timeZone: string | undefined, at: number | string | Date = Date.now()): string {
  const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    const short = new Intl.DateTimeFormat(undefined, { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value;
    return short && short !== zone ? `${zone} (${short})` : zone;
  } catch {
    return zone;
  }
}

/** 3600 → "every hour", 900 → "every 15 minutes": a configured interval in the largest whole unit. */
export function intervalWords(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? `every ${name}` : `every ${n} ${name}s`;
    }
  }
  return `every ${seconds} seconds`;
}
