import { describe, expect, it } from '@jest/globals';
import { addToFeed, alarmBadge, FEED_CAP, type Alarm, type DoorStatus, type FeedRow, type MonitorEvent } from './model';

const door = (over: Partial<DoorStatus> = {}): DoorStatus => ({
  doorId: 'd1',
  name: 'Dock',
  siteId: 's',
  zoneId: 'z',
  controllerId: 'c',
  controllerStatus: 'online',
  relayChannel: 1,
  open: false,
  locked: true,
  controllerMode: 'normal',
  controllerAlarm: 'none',
  override: null,
  lockdown: false,
  ...over,
});
const alarm = (kind: string, doorId: string | null = 'd1'): Alarm => ({
  id: `a-${kind}-${doorId}`,
  kind,
  state: 'open',
  siteId: 's',
  zoneId: 'z',
  doorId,
  controllerId: 'c',
  attemptId: null,
  detail: null,
  raisedAt: '2026-11-26T09:00:00Z',
});

let n = 0;
const row = (event: MonitorEvent): FeedRow => ({ key: String(++n), event });
const doorEvent = (event: string, at: number, doorId = 'd1'): MonitorEvent => ({ type: 'door', doorId, siteId: 's', zoneId: 'z', event, at });
const alarmEvent = (kind: string, at: number, doorId: string | null = 'd1'): MonitorEvent => ({
  type: 'alarm',
  id: `a${at}`,
  kind,
  at,
  siteId: 's',
  zoneId: 'z',
  doorId,
  controllerId: 'c',
  attemptId: null,
});
const kinds = (rows: FeedRow[]) =>
  rows.map((r) => (r.event.type === 'door' ? `door:${r.event.event}` : r.event.type === 'alarm' ? `alarm:${r.event.kind}` : r.event.type));
const feedOf = (...events: MonitorEvent[]) => events.reduce<FeedRow[]>((f, e) => addToFeed(f, row(e)), []);

describe('Live: the Alarm column of a door', () => {
  it.each<[string, DoorStatus, Alarm[], string, string]>([
    ['no alarm anywhere', door(), [], 'None', 'idle'],
    ['an open alarm after the door closed again', door(), [alarm('forced_open')], 'Forced open', 'bad'],
    ['two open alarms on the door', door(), [alarm('held_open'), alarm('forced_open')], 'Held open +1', 'bad'],
    ['an open alarm on another door only', door(), [alarm('forced_open', 'd2')], 'None', 'idle'],
    ['the controller reports one not (yet) raised', door({ controllerAlarm: 'held-open' }), [], 'Held open', 'bad'],
    ['the open alarm wins over what the controller says now', door({ controllerAlarm: 'held-open' }), [alarm('forced_open')], 'Forced open', 'bad'],
  ])('%s', (_case, d, open, text, tone) => {
    expect(alarmBadge(d, open)).toEqual({ text, tone });
  });
});

describe('Live: feed rows', () => {
  it.each<[string, MonitorEvent[], string[]]>([
    ['door event then its alarm: one row, the alarm', [doorEvent('forced-open', 1000), alarmEvent('forced_open', 1050)], ['alarm:forced_open']],
    ['alarm first, then the door event: still one row', [alarmEvent('held_open', 1000), doorEvent('held-open', 990)], ['alarm:held_open']],
    [
      'a repeat without a new alarm (one open per door and kind) keeps its door row',
      [alarmEvent('forced_open', 1000), doorEvent('closed', 2000), doorEvent('forced-open', 60_000)],
      ['door:forced-open', 'door:closed', 'alarm:forced_open'],
    ],
    [
      'another door forced at the same time stays',
      [doorEvent('forced-open', 1000, 'd2'), alarmEvent('forced_open', 1000)],
      ['alarm:forced_open', 'door:forced-open'],
    ],
    ['a different kind stays', [doorEvent('held-open', 1000), alarmEvent('forced_open', 1000)], ['alarm:forced_open', 'door:held-open']],
    ['ordinary door events all stay', [doorEvent('opened', 1), doorEvent('closed', 2)], ['door:closed', 'door:opened']],
  ])('%s', (_case, events, expected) => {
    expect(kinds(feedOf(...events))).toEqual(expected);
  });

  it(`keeps at most ${FEED_CAP} rows, newest first`, () => {
    const events = Array.from({ length: FEED_CAP + 5 }, (_, i) => doorEvent('opened', i));
    const feed = feedOf(...events);
    expect(feed).toHaveLength(FEED_CAP);
    expect(feed[0].event.at).toBe(FEED_CAP + 4);
  });
});
