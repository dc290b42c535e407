import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ZoneState } from '@acs/access-rules';
import type { AccessEventInput } from '@acs/access-log';
import { FakeClock } from '@acs/clock';
import type { DoorEventRecord } from '@acs/door-control';
import type { RaiseAlarm } from './alarm.service.js';
import { DoorEventCorrelator } from './door-event-correlator.js';
import type { MonitorEvent } from './monitor.js';
import { channelKey, type DoorWiring, type Topology } from './topology.js';

const UNLOCK_MS = 2000;
const door: DoorWiring = {
  doorId: 'door-1',
  name: 'Suite A',
  zoneId: 'zone-1',
  siteId: 'site-1',
  controllerId: 'ctl-row-1',
  mqttId: 'ctl-1',
  relayChannel: 1,
  heldOpenSeconds: 30,
  entryReaderId: 'reader-1',
  exitReaderId: null,
  entryCardReaderId: null,
  exitCardReaderId: null,
};
const topology: Topology = {
  doors: new Map([[door.doorId, door]]),
  readers: new Map(),
  cardReaders: new Map(),
  byChannel: new Map([[channelKey('ctl-1', 1), door.doorId]]),
  controllers: new Map([['ctl-1', { controllerId: 'ctl-row-1', siteId: 'site-1' }]]),
};

const grant = (customerId: string, personId: string): AccessEventInput => ({
  customerId,
  personId,
  siteId: 'site-1',
  zoneId: 'zone-1',
  doorId: 'door-1',
  readerId: 'reader-1',
  direction: 'entry',
  result: 'granted',
  reason: 'granted',
  occurredAt: 0,
});

describe('DoorEventCorrelator', () => {
  let clock: FakeClock;
  let followUps: Array<{ attemptId: string; reason: string; customerId: string | null }>;
  let alarms: RaiseAlarm[];
  let published: MonitorEvent[];
  let tracked: Array<Promise<unknown>>;
  let zoneState: ZoneState;
  let correlator: DoorEventCorrelator;
  let seq = 0;
  const event = (type: DoorEventRecord['type'], extra: Partial<DoorEventRecord> = {}): DoorEventRecord => ({
    controllerId: 'ctl-1',
    epoch: 1,
    seq: ++seq,
    type,
    door: 1,
    occurredAt: clock.now(),
    receivedAt: clock.now(),
    ...extra,
  });

  beforeEach(() => {
    jest.useFakeTimers();
    clock = new FakeClock('2026-06-01T12:00:00Z');
    followUps = [];
    alarms = [];
    published = [];
    tracked = [];
    zoneState = new ZoneState();
    correlator = new DoorEventCorrelator({
      topology: () => topology,
      zoneState,
      alarms: { raise: async (a: RaiseAlarm) => void alarms.push(a) } as never,
      bus: { publish: (e: MonitorEvent) => void published.push(e) },
      followUps: { record: (a, attemptId, reason) => void followUps.push({ attemptId, reason, customerId: a.customerId }) },
      clock,
      unlockMs: UNLOCK_MS,
      track: (p) => void tracked.push(p),
      logger: { error: () => {} },
    });
  });
  afterEach(() => {
    correlator.stop();
    jest.useRealTimers();
  });

  it('records entered when the door opens after a confirmed unlock, and nothing more later', async () => {
    correlator.expectEntry(door, 'att-1', grant('cust-a', 'p-1'));
    await correlator.handle(event('opened'));
    expect(followUps).toEqual([{ attemptId: 'att-1', reason: 'entered', customerId: 'cust-a' }]);
    jest.advanceTimersByTime(UNLOCK_MS + 1000);
    expect(followUps).toHaveLength(1);
    expect(published).toMatchObject([{ type: 'door', doorId: 'door-1', event: 'opened' }]);
  });

  it('records not_entered when the unlock time (plus a second) passes without an opening', () => {
    correlator.expectEntry(door, 'att-1', grant('cust-a', 'p-1'));
    jest.advanceTimersByTime(UNLOCK_MS + 999);
    expect(followUps).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(followUps).toEqual([{ attemptId: 'att-1', reason: 'not_entered', customerId: 'cust-a' }]);
  });

  it("ends a same-customer predecessor at once, but another customer's only at its own time", async () => {
    correlator.expectEntry(door, 'att-1', grant('cust-a', 'p-1'));
    correlator.expectEntry(door, 'att-2', grant('cust-a', 'p-2'));
    expect(followUps).toEqual([{ attemptId: 'att-1', reason: 'not_entered', customerId: 'cust-a' }]);
    jest.advanceTimersByTime(1000);
    correlator.expectEntry(door, 'att-3', grant('cust-b', 'p-3'));
    expect(followUps).toHaveLength(1);
    jest.advanceTimersByTime(UNLOCK_MS); // att-2's own window ends
    expect(followUps.at(-1)).toEqual({ attemptId: 'att-2', reason: 'not_entered', customerId: 'cust-a' });
    await correlator.handle(event('opened'));
    expect(followUps.at(-1)).toEqual({ attemptId: 'att-3', reason: 'entered', customerId: 'cust-b' });
  });

  it('raises forced open at once, and held open when the door stays open past its own limit', async () => {
    await correlator.handle(event('forced-open'));
    expect(alarms).toEqual([{ kind: 'forced_open', siteId: 'site-1', zoneId: 'zone-1', doorId: 'door-1', controllerId: 'ctl-row-1' }]);
    jest.advanceTimersByTime(door.heldOpenSeconds * 1000);
    await Promise.all(tracked);
    expect(alarms.at(-1)).toMatchObject({ kind: 'held_open', detail: 'limit 30s (server)' });
  });

  it('a door closed in time raises no held-open alarm, and zone state follows the door', async () => {
    await correlator.handle(event('opened'));
    expect(zoneState.doorStatus('door-1', clock.nowMs())).toMatchObject({ open: true });
    jest.advanceTimersByTime(door.heldOpenSeconds * 1000 - 1);
    await correlator.handle(event('closed'));
    jest.advanceTimersByTime(10_000);
    expect(tracked).toEqual([]);
    expect(alarms).toEqual([]);
    expect(zoneState.doorStatus('door-1', clock.nowMs())).toMatchObject({ open: false });
  });

  it.each([
    ['held-open from the controller', event2('held-open'), [{ kind: 'held_open', detail: 'limit 30s (controller)' }]],
    ['tamper on a door', event2('tamper', { detail: 'case opened' }), [{ kind: 'tamper', siteId: 'site-1', doorId: 'door-1', detail: 'case opened' }]],
    ['tamper without a door', event2('tamper', { door: undefined }), [{ kind: 'tamper', siteId: 'site-1', doorId: null, zoneId: null }]],
    ['tamper of an unknown controller', event2('tamper', { controllerId: 'ctl-x' }), []],
    ['an opening of an unwired channel', event2('opened', { door: 9 }), []],
  ])('%s', async (_what, make, expected) => {
    await correlator.handle(make());
    expect(alarms).toMatchObject(expected);
    expect(alarms).toHaveLength(expected.length);
  });

  /** For the table above, built when the test runs (the clock exists by then). */
  function event2(type: DoorEventRecord['type'], extra: Partial<DoorEventRecord> = {}): () => DoorEventRecord {
    return () => event(type, extra);
  }
});
