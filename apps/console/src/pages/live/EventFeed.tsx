import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { credentialLabel } from '../../credentials';
import { reasonText } from '../../reasons';
import { Empty, Field, Status, type Tone } from '../../ui';
import { useSession } from '../../session';
import { doorName, personNameQuery, type Directory, type PersonLookup } from './directory';
import {
  alarmLabel,
  clockTime,
  controllerBadge,
  DOOR_EVENT_LABELS,
  EVENT_TYPE_LABELS,
  MODE_LABELS,
  readerBadge,
  words,
  type DoorStatus,
  type FeedRow,
  type MonitorEvent,
  type ReaderLoop,
} from './model';

export interface FeedFilters {
  site: string;
  zone: string;
  door: string;
  result: string;
  type: string;
}

/** Event types offered in the filter; the alarm entry covers raised and acknowledged. */
const TYPE_OPTIONS: Array<[string, string]> = [
  ['attempt', 'Badge-ins'],
  ['follow_up', 'Follow-ups'],
  ['alarm', 'Alarms'],
  ['door', 'Door events'],
  ['controller', 'Controller status'],
  ['reader', 'Reader status'],
  ['mode', 'Mode changes'],
];

/** Where an event happened, for filtering: reader and controller events borrow their door's place. */
function placeOf(e: MonitorEvent, doors: DoorStatus[], readers: ReaderLoop[]): { siteId: string; zoneId: string | null; doorId: string | null } {
  switch (e.type) {
    case 'reader': {
      const doorId = readers.find((r) => r.readerId === e.readerId)?.doorId ?? null;
      return { siteId: e.siteId, zoneId: doors.find((d) => d.doorId === doorId)?.zoneId ?? null, doorId };
    }
    case 'controller':
      return { siteId: e.siteId, zoneId: null, doorId: null };
    default:
      return { siteId: e.siteId, zoneId: e.zoneId, doorId: e.doorId };
  }
}

export function matches(row: FeedRow, f: FeedFilters, doors: DoorStatus[], readers: ReaderLoop[]): boolean {
  const e = row.event;
  if (f.type) {
    const type = e.type === 'alarm_acknowledged' ? 'alarm' : e.type;
    if (type !== f.type) return false;
  }
  if (f.result) {
    if (e.type !== 'attempt' && e.type !== 'follow_up') return false;
    if (e.result !== f.result) return false;
  }
  if (f.site || f.zone || f.door) {
    const p = placeOf(e, doors, readers);
    if (f.site && p.siteId !== f.site) return false;
    if (f.zone && p.zoneId !== f.zone) return false;
    if (f.door && p.doorId !== f.door) return false;
  }
  return true;
}

export function FeedFilterBar({
  filters,
  onChange,
  dir,
  doors,
}: {
  filters: FeedFilters;
  onChange: (f: FeedFilters) => void;
  dir: Directory;
  doors: DoorStatus[];
}) {
  const sites = [...dir.sites.values()].sort((a, b) => a.name.localeCompare(b.name));
  const zones = [...dir.zones.values()].filter((z) => !filters.site || z.siteId === filters.site).sort((a, b) => a.name.localeCompare(b.name));
  const doorOptions = doors
    .filter((d) => (!filters.site || d.siteId === filters.site) && (!filters.zone || d.zoneId === filters.zone))
    .map((d) => ({ id: d.doorId, name: d.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const set = (k: keyof FeedFilters, v: string) => {
    const next = { ...filters, [k]: v };
    // A narrower choice that no longer fits the wider one would hide everything silently.
    if (k === 'site') {
      next.zone = '';
      next.door = '';
    }
    if (k === 'zone') next.door = '';
    onChange(next);
  };
  const any = Object.values(filters).some(Boolean);
  return (
    <div className="filters live-filters" role="group" aria-label="Feed filters">
      <Field label="Site">
        {(id) => (
          <select id={id} value={filters.site} onChange={(e) => set('site', e.target.value)}>
            <option value="">All sites</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Zone">
        {(id) => (
          <select id={id} value={filters.zone} onChange={(e) => set('zone', e.target.value)}>
            <option value="">All zones</option>
            {zones.map((z) => (
              <option key={z.id} value={z.id}>
                {z.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Door">
        {(id) => (
          <select id={id} value={filters.door} onChange={(e) => set('door', e.target.value)}>
            <option value="">All doors</option>
            {doorOptions.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Result">
        {(id) => (
          <select id={id} value={filters.result} onChange={(e) => set('result', e.target.value)}>
            <option value="">Any result</option>
            <option value="granted">Granted</option>
            <option value="denied">Denied</option>
          </select>
        )}
      </Field>
      <Field label="Event type">
        {(id) => (
          <select id={id} value={filters.type} onChange={(e) => set('type', e.target.value)}>
            <option value="">All events</option>
            {TYPE_OPTIONS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="button" className="link live-clear" disabled={!any} onClick={() => onChange({ site: '', zone: '', door: '', result: '', type: '' })}>
        Clear filters
      </button>
    </div>
  );
}

export function EventFeed({ rows, dir, doors }: { rows: FeedRow[]; dir: Directory; doors: DoorStatus[] }) {
  if (rows.length === 0) return <Empty>No events yet. Badge-ins, door and device events appear here as they happen.</Empty>;
  return (
    <div className="table-wrap live-feed-wrap">
      <table className="live-feed">
        <caption className="live-sr-only">Live events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Door / device</th>
            <th scope="col">Result</th>
            <th scope="col">Reason</th>
            <th scope="col">Person / customer</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <FeedRowView key={r.key} row={r} dir={dir} doors={doors} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FeedRowView({ row, dir, doors }: { row: FeedRow; dir: Directory; doors: DoorStatus[] }) {
  const e = row.event;
  const t = clockTime(e.at);
  // With one site the site's name under every row says nothing and costs the feed a line.
  const site = dir.sites.size > 1 ? dir.sites.get(e.siteId)?.name : undefined;
  const place = (doorId: string | null | undefined, fallback: string) => {
    const name = doorName(dir, doors, doorId) ?? fallback;
    return (
      <>
        {name} {site ? <span className="live-sub">{site}</span> : null}
      </>
    );
  };
  let event: React.ReactNode = EVENT_TYPE_LABELS[e.type];
  let where = place(null, '—');
  let result: { text: string; tone: Tone } | null = null;
  let reason: React.ReactNode = null;
  let customer: React.ReactNode = null;
  let person: React.ReactNode = <span className="muted">—</span>;
  switch (e.type) {
    case 'attempt':
    case 'follow_up': {
      event = (
        <>
          {EVENT_TYPE_LABELS[e.type]} <span className="live-sub">{e.direction === 'exit' ? 'Exit' : 'Entry'}</span>
        </>
      );
      where = place(e.doorId, e.readerId ? (dir.readers.get(e.readerId)?.name ?? 'Unknown reader') : 'Unknown door');
      result = e.result === 'granted' ? { text: 'Granted', tone: 'ok' } : { text: 'Denied', tone: 'bad' };
      reason = (
        <span title={e.reason}>
          {reasonText(dir.reasons, e.reason)}
          {'credential' in e && typeof e.credential === 'string' ? <span className="live-sub">With: {credentialLabel(e.credential)}</span> : null}
          {e.violations && e.violations.length > 0 ? <span className="live-sub">Violations: {e.violations.map(words).join(', ')}</span> : null}
        </span>
      );
      customer = e.customerId ? (dir.customers.get(e.customerId)?.companyName ?? 'Unknown customer') : null;
      person = e.personId && e.customerId ? <PersonName customerId={e.customerId} personId={e.personId} /> : <span className="muted">Not identified</span>;
      break;
    }
    case 'alarm':
    case 'alarm_acknowledged':
      where = place(e.doorId, e.controllerId ? (dir.controllers.get(e.controllerId)?.name ?? 'Controller') : '—');
      result = e.type === 'alarm' ? { text: 'Alarm', tone: 'bad' } : { text: 'Acknowledged', tone: 'idle' };
      reason = alarmLabel(e.kind);
      break;
    case 'door':
      where = place(e.doorId, 'Unknown door');
      reason = DOOR_EVENT_LABELS[e.event] ?? words(e.event);
      result = e.event === 'forced-open' || e.event === 'held-open' ? { text: 'Alarm', tone: 'bad' } : { text: 'Info', tone: 'info' };
      break;
    case 'controller': {
      where = place(null, dir.controllers.get(e.controllerId)?.name ?? 'Unknown controller');
      const b = controllerBadge(e.status);
      result = b;
      reason = `Controller ${b.text.toLowerCase()}`;
      break;
    }
    case 'reader': {
      where = place(null, dir.readers.get(e.readerId)?.name ?? 'Unknown reader');
      const b = readerBadge(e.state);
      result = b;
      reason = `Reader ${b.text.toLowerCase()}`;
      break;
    }
    case 'mode': {
      const scope = e.doorId ? doorName(dir, doors, e.doorId) : e.zoneId ? dir.zones.get(e.zoneId)?.name : null;
      where = place(null, scope ?? 'Whole site');
      reason = `Mode: ${MODE_LABELS[e.mode] ?? words(e.mode)}`;
      result = { text: e.mode === 'normal' ? 'Normal' : 'Changed', tone: e.mode === 'normal' ? 'ok' : 'warn' };
      break;
    }
  }
  return (
    <tr className={`live-row live-row-${e.type}${(e.type === 'attempt' || e.type === 'follow_up') && e.result === 'denied' ? ' live-row-denied' : ''}`}>
      <td className="live-time">
        <time dateTime={t.iso} title={t.full}>
          {t.short}
        </time>
      </td>
      <td>{event}</td>
      <td className="live-nowrap">{where}</td>
      <td>{result ? <Status tone={result.tone}>{result.text}</Status> : null}</td>
      <td className="live-reason">{reason}</td>
      <td>
        {person} {customer ? <span className="live-sub">{customer}</span> : null}
      </td>
    </tr>
  );
}

/** Resolves the person's name only once the cell is on screen. */
function PersonName({ customerId, personId }: { customerId: string; personId: string }) {
  const { api } = useSession();
  const ref = useRef<HTMLSpanElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((x) => x.isIntersecting)) {
        setSeen(true);
        io.disconnect();
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, [seen]);
  const lookup = useQuery({ ...personNameQuery(api, customerId, personId), enabled: seen });
  const found: PersonLookup | null = lookup.data ?? (lookup.isError ? { state: 'error' } : null);
  let text: React.ReactNode = <span className="muted">…</span>;
  if (found?.state === 'found') text = found.name;
  else if (found?.state === 'gone') text = <span className="muted">No longer on record</span>;
  else if (found?.state === 'hidden') text = <span className="muted">Not visible to you</span>;
  else if (found?.state === 'error') text = <span className="muted">Name unavailable</span>;
  return (
    <span ref={ref} title={`Person ${personId}`}>
      {text}
    </span>
  );
}
