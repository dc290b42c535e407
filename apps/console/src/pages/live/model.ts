import type { Tone } from '../../ui';

/** GET /monitor/doors */
export interface DoorStatus {
  doorId: string;
  name: string;
  siteId: string;
  zoneId: string;
  controllerId: string | null;
  controllerStatus: string;
  relayChannel: number;
  open: boolean | null;
  locked: boolean | null;
  controllerMode: string | null;
  controllerAlarm: string | null;
  override: 'locked' | 'emergency_release' | null;
  lockdown: boolean;
}

/** GET /monitor/readers */
export interface ReaderLoop {
  readerId: string;
  doorId: string | null;
  direction: 'entry' | 'exit';
  readerState: string;
  polls: number;
  badges: number;
  lastError: string | null;
}

export interface Alarm {
  id: string;
  kind: string;
  state: 'open' | 'acknowledged';
  siteId: string;
  zoneId: string | null;
  doorId: string | null;
  controllerId: string | null;
  attemptId: string | null;
  detail: string | null;
  raisedAt: string;
  acknowledgedBy?: string | null;
  acknowledgedAt?: string | null;
  ackNote?: string | null;
}

export interface Named {
  id: string;
  name: string;
}
export interface Zone extends Named {
  siteId: string;
  parentZoneId?: string | null;
}
export interface Customer {
  id: string;
  companyName: string;
}
export interface Reason {
  code: string;
  family: string;
  description: string;
}

/** What GET /monitor/events sends (ids only; the console resolves names). */
export type MonitorEvent =
  | {
      type: 'attempt' | 'follow_up';
      id: string;
      attemptId: string;
      at: number;
      siteId: string;
      zoneId: string | null;
      doorId: string | null;
      readerId: string | null;
      direction: 'entry' | 'exit';
      result: 'granted' | 'denied';
      reason: string;
      violations?: string[];
      customerId: string | null;
      personId: string | null;
    }
  | { type: 'alarm' | 'alarm_acknowledged'; id: string; kind: string; at: number; siteId: string; zoneId: string | null; doorId: string | null; controllerId: string | null; attemptId: string | null }
  | { type: 'door'; doorId: string; siteId: string; zoneId: string; event: string; at: number }
  | { type: 'controller'; controllerId: string; siteId: string; status: string; at: number }
  | { type: 'reader'; readerId: string; siteId: string; state: string; at: number }
  | { type: 'mode'; siteId: string; zoneId: string | null; doorId: string | null; mode: string; at: number };

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

export function alarmBadge(d: DoorStatus): Badge {
  if (!d.controllerAlarm || d.controllerAlarm === 'none') return { text: 'None', tone: 'idle' };
  return { text: ALARM_LABELS[d.controllerAlarm.replace(/-/g, '_')] ?? words(d.controllerAlarm), tone: 'bad' };
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

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** The feed is live: the time of day is what the desk reads; the date is on hover. */
export function clockTime(ms: number | string): { short: string; full: string; iso: string } {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return { short: String(ms), full: String(ms), iso: '' };
  return { short: clock.format(d), full: full.format(d), iso: d.toISOString() };
}
