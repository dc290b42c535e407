import type { Schemas } from '../../api';
import { formatClock, formatDateTime } from '../../time';
import type { Tone } from '../../ui';

/** GET /monitor/doors */
export type DoorStatus = Schemas['DoorStatusViewDto'];

/** GET /monitor/readers */
export type ReaderLoop = Schemas['ReaderLoopViewDto'];

type AlarmView = Schemas['AlarmViewDto'];
type Acknowledgement = 'acknowledgedBy' | 'acknowledgedAt' | 'ackNote';
/**
 * GET /alarms. An alarm raised while the desk watches is made from its monitor event, which has no
 * acknowledgement yet and names its kind as a plain string.
 */
export type Alarm = Omit<AlarmView, Acknowledgement | 'kind'> & Partial<Pick<AlarmView, Acknowledgement>> & { kind: string };

export interface Named {
  id: string;
  name: string;
}
export type Zone = Named & Pick<Schemas['ZoneView'], 'siteId' | 'parentZoneId'>;
export type Customer = Pick<Schemas['CustomerView'], 'id' | 'companyName'>;

/** What GET /monitor/events sends (ids only; the console resolves names); security alarms go to their banner. */
export type MonitorEvent =
  | Schemas['MonitorAttemptEvent']
  | Schemas['MonitorAlarmEvent']
  | Schemas['MonitorDoorEvent']
  | Schemas['MonitorControllerEvent']
  | Schemas['MonitorReaderEvent']
  | Schemas['MonitorModeEvent'];

export type EventType = MonitorEvent['type'];

/** A row of the live feed: the event plus a key that stays unique across event types. */
export interface FeedRow {
  key: string;
  event: MonitorEvent;
}

export const FEED_CAP = 200;

export const EVENT_TYPE_LABELS: Record<EventType, string> = {
  attempt: 'Badge-in',
  follow_up: 'Follow-up',
  alarm: 'Alarm raised',
  alarm_acknowledged: 'Alarm acknowledged',
  door: 'Door',
  controller: 'Controller',
  reader: 'Reader',
  mode: 'Mode change',
};

export const ALARM_LABELS: Record<string, string> = {
  forced_open: 'Door forced open',
  held_open: 'Door held open',
  tamper: 'Controller tamper',
  door_unreachable: 'Door unreachable',
};

/** In the door's own row the word "Door" is implied: the short form keeps the table inside its card. */
export const DOOR_ALARM_LABELS: Record<string, string> = {
  forced_open: 'Forced open',
  held_open: 'Held open',
  tamper: 'Tamper',
  door_unreachable: 'Unreachable',
};

export const DOOR_EVENT_LABELS: Record<string, string> = {
  opened: 'Door opened',
  closed: 'Door closed',
  'forced-open': 'Door forced open',
  'held-open': 'Door held open',
  unlocked: 'Relay unlocked',
  locked: 'Relay locked',
  'exit-pressed': 'Exit button pressed',
  'mode-changed': 'Controller mode changed',
  tamper: 'Tamper switch',
};

export const MODE_LABELS: Record<string, string> = {
  normal: 'Normal',
  locked: 'Held locked',
  lockdown: 'Lockdown',
  emergency_release: 'Emergency release',
  'locked-down': 'Locked down',
  'held-unlocked': 'Held unlocked',
  'emergency-release': 'Emergency release',
};

export function words(code: string): string {
  const s = code.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function alarmLabel(kind: string): string {
  return ALARM_LABELS[kind] ?? words(kind);
}

export interface Badge {
  text: string;
  tone: Tone;
}

export function lockBadge(d: DoorStatus): Badge {
  if (d.locked === null) return { text: 'Unknown', tone: 'idle' };
  return d.locked ? { text: 'Locked', tone: 'ok' } : { text: 'Unlocked', tone: 'warn' };
}

export function contactBadge(d: DoorStatus): Badge {
  if (d.open === null) return { text: 'Unknown', tone: 'idle' };
  return d.open ? { text: 'Open', tone: 'warn' } : { text: 'Closed', tone: 'ok' };
}

/** Operator overrides win over lockdown, which wins over what the controller reports. */
export function modeBadge(d: DoorStatus): Badge {
  if (d.override === 'emergency_release') return { text: 'Emergency release', tone: 'bad' };
  if (d.lockdown) return { text: 'Lockdown', tone: 'bad' };
  if (d.override === 'locked') return { text: 'Held locked', tone: 'warn' };
  if (d.controllerMode && d.controllerMode !== 'normal') return { text: MODE_LABELS[d.controllerMode] ?? words(d.controllerMode), tone: 'warn' };
  return { text: 'Normal', tone: 'ok' };
}

/**
 * The door's alarm as the desk must treat it: an alarm stays open until someone acknowledges it,
 * even after the controller reports the door closed again, so the open alarms (newest first)
 * come before what the controller says right now. "None" only when neither has one.
 */
export function alarmBadge(d: DoorStatus, openAlarms: readonly Alarm[] = []): Badge {
  const mine = openAlarms.filter((a) => a.doorId === d.doorId);
  const label = (kind: string) => DOOR_ALARM_LABELS[kind] ?? words(kind);
  if (mine.length > 0) return { text: label(mine[0].kind) + (mine.length > 1 ? ` +${mine.length - 1}` : ''), tone: 'bad' };
  if (!d.controllerAlarm || d.controllerAlarm === 'none') return { text: 'None', tone: 'idle' };
  return { text: label(d.controllerAlarm.replace(/-/g, '_')), tone: 'bad' };
}

/** Door events that the server follows with an alarm of this kind (alarm.service raises it). */
const ALARM_OF_DOOR_EVENT: Record<string, string> = { 'forced-open': 'forced_open', 'held-open': 'held_open' };
/** A door event and its alarm are stamped by two clocks (controller, server): this far apart is still one incident. */
const SAME_INCIDENT_MS = 10_000;

function sameIncident(door: MonitorEvent, alarm: MonitorEvent): boolean {
  return (
    door.type === 'door' &&
    alarm.type === 'alarm' &&
    door.doorId === alarm.doorId &&
    ALARM_OF_DOOR_EVENT[door.event] === alarm.kind &&
    Math.abs(door.at - alarm.at) <= SAME_INCIDENT_MS
  );
}

/**
 * A new row on top of the feed, newest first, at most FEED_CAP. A door forced (or held) open
 * arrives twice on the stream, as the controller's door event and as the alarm the server raised
 * for it: the feed shows the incident once, as the alarm. The door event stays when no alarm
 * follows (the server keeps one open alarm per door and kind, so a repeat raises none).
 */
export function addToFeed(rows: readonly FeedRow[], row: FeedRow): FeedRow[] {
  const e = row.event;
  if (e.type === 'alarm') return [row, ...rows.filter((r) => !sameIncident(r.event, e))].slice(0, FEED_CAP);
  if (e.type === 'door' && rows.some((r) => sameIncident(e, r.event))) return [...rows];
  return [row, ...rows].slice(0, FEED_CAP);
}

export function controllerBadge(status: string): Badge {
  switch (status) {
    case 'online':
      return { text: 'Online', tone: 'ok' };
    case 'offline':
      return { text: 'Offline', tone: 'bad' };
    case 'none':
      return { text: 'No controller', tone: 'idle' };
    default:
      return { text: words(status || 'unknown'), tone: 'idle' };
  }
}

export function readerBadge(state: string): Badge {
  switch (state) {
    case 'ready':
      return { text: 'Connected', tone: 'ok' };
    case 'connecting':
      return { text: 'Connecting', tone: 'info' };
    case 'failed':
      return { text: 'Failed', tone: 'bad' };
    case 'closed':
      return { text: 'Closed', tone: 'idle' };
    default:
      return { text: words(state || 'unknown'), tone: 'idle' };
  }
}

/** The door as the server last reported it, with one live event applied. */
export function applyDoorEvent(d: DoorStatus, event: string): DoorStatus {
  switch (event) {
    case 'opened':
      return { ...d, open: true };
    case 'forced-open':
      return { ...d, open: true, controllerAlarm: 'forced-open' };
    case 'held-open':
      return { ...d, controllerAlarm: 'held-open' };
    case 'closed':
      return { ...d, open: false, controllerAlarm: 'none' };
    case 'unlocked':
      return { ...d, locked: false };
    case 'locked':
      return { ...d, locked: true };
    default:
      return d;
  }
}

/** The feed is live: the time of day is what the desk reads; the date is on hover. */
export function clockTime(ms: number | string): { short: string; full: string; iso: string } {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return { short: String(ms), full: String(ms), iso: '' };
  return { short: formatClock(d), full: formatDateTime(d), iso: d.toISOString() };
}
