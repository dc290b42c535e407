import { beforeEach, describe, expect, it } from '@jest/globals';
import { indexSnapshot, ZoneState, type DoorHoldMode, type RegistrySnapshot } from '@acs/access-rules';
import { snapshotBuilder } from '@acs/access-rules/testing';
import type { AccessEventInput } from '@acs/access-log';
import { doorsFirst, FakeClock } from '@acs/clock';
import { DoorCommandError } from '@acs/door-control';
import type { ReplyBody } from '@acs/door-protocol';
import { AuraColour, type FingerprintReader } from '@acs/fingerprint';
import type { RaiseAlarm } from './alarm.service.js';
import { BadgeAttempts, type SiteModel } from './badge-attempts.js';
import type { MonitorEvent } from './monitor.js';
import type { DoorWiring, Topology } from './topology.js';

const wiring: DoorWiring = {
  doorId: 'd1',
  name: 'Suite 1',
  zoneId: 'suite-1',
  siteId: 'site-1',
  controllerId: 'ctl-row-1',
  mqttId: 'ctl-1',
  relayChannel: 2,
  heldOpenSeconds: 30,
  entryReaderId: 'reader-1',
  exitReaderId: null,
  entryCardReaderId: null,
  exitCardReaderId: null,
};
const topology: Topology = {
  doors: new Map([['d1', wiring]]),
  readers: new Map([
    ['reader-1', { readerId: 'reader-1', siteId: 'site-1', doorId: 'd1', direction: 'entry' }],
    ['reader-loose', { readerId: 'reader-loose', siteId: 'site-1', doorId: null, direction: 'entry' }],
  ]),
  cardReaders: new Map(),
  byChannel: new Map([['ctl-1:2', 'd1']]),
  controllers: new Map([['ctl-1', { controllerId: 'ctl-row-1', siteId: 'site-1' }]]),
};
const snapshot: RegistrySnapshot = snapshotBuilder()
  .customer('acme')
  .person('alice', 'acme')
  .zone('suite-1')
  .door('d1', 'suite-1')
  .accessLevel('suite-1-always', { zoneIds: ['suite-1'] })
  .grant('g1', { accessLevelId: 'suite-1-always', customerId: 'acme' })
  .build();
const ALICE_FINGER = { pageId: 3, score: 200 };
const UNLOCK_MS = 3000;

/** The neighbours of decide-and-act, each recording what it was asked. */
class Rig {
  readonly clock = new FakeClock('2026-06-01T12:00:00Z');
  readonly appended: AccessEventInput[] = [];
  readonly published: MonitorEvent[] = [];
  readonly followUps: Array<{ attemptId: string; reason: string; result: string }> = [];
  readonly alarms: RaiseAlarm[] = [];
  readonly unlocks: Array<[string, number, number]> = [];
  readonly leds: AuraColour[] = [];
  readonly expected: string[] = [];
  readonly unlockSent: string[] = [];
  readonly errors: string[] = [];
  controller: 'online' | 'offline' = 'online';
  unlockResult: () => Promise<ReplyBody> = async () => ({ ok: true }) as ReplyBody;
  durable: () => Promise<unknown> = async () => undefined;
  mode: DoorHoldMode = 'normal';
  model: SiteModel | null = { snapshot, index: indexSnapshot(snapshot), topology };
  staleModel = false;
  refreshes = 0;
  private attempts = 0;

  readonly badge = new BadgeAttempts({
    slotOwner: async (_readerId, pageId) => (pageId === ALICE_FINGER.pageId ? { personId: 'alice', customerId: 'acme' } : null),
    stale: () => this.staleModel,
    refresh: async () => {
      this.refreshes++;
      this.staleModel = false;
      this.model = { snapshot, index: indexSnapshot(snapshot), topology };
    },
    model: () => this.model,
    doorMode: () => this.mode,
    doors: {
      status: () => this.controller,
      unlock: (mqttId, door, ms) => {
        this.unlocks.push([mqttId, door, ms]);
        return this.unlockResult();
      },
    },
    zoneState: new ZoneState(),
    accessLog: {
      append: (events) => {
        this.appended.push(...events);
        const n = ++this.attempts;
        return events.map(() => ({ id: `ev-${n}`, attemptId: `att-${n}`, durable: this.durable() as never }));
      },
    },
    bus: { publish: (e) => void this.published.push(e) },
    alarms: { raise: async (a: RaiseAlarm) => void this.alarms.push(a) } as never,
    followUps: { record: (_a, attemptId, reason, result) => void this.followUps.push({ attemptId, reason, result }) },
    correlator: { expectEntry: (_door, attemptId) => void this.expected.push(attemptId) },
    readers: {
      withReader: async <T>(_readerId: string, job: (r: FingerprintReader) => Promise<T>) =>
        job({ auraLed: async (_c: number, colour: AuraColour) => void this.leds.push(colour) } as unknown as FingerprintReader),
    },
    clock: this.clock,
    threshold: 50,
    unlockMs: UNLOCK_MS,
    onUnlockSent: (e) => void this.unlockSent.push(e.attemptId),
    logger: { log: () => {}, warn: () => {}, error: (m: string) => void this.errors.push(m) },
  });
}

describe('BadgeAttempts (decide and act)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = new Rig();
  });

  it('grants a known finger: records first, then unlocks, expects the entry and shows green', async () => {
    const o = await rig.badge.badge('reader-1', ALICE_FINGER, 0);
    expect(o.decision).toMatchObject({ granted: true, reason: 'granted', personId: 'alice' });
    expect(o.attemptId).toBe('att-1');
    expect(rig.appended).toMatchObject([{ customerId: 'acme', personId: 'alice', doorId: 'd1', result: 'granted', occurredAt: rig.clock.nowMs() }]);
    expect(rig.published).toMatchObject([{ type: 'attempt', attemptId: 'att-1', result: 'granted', family: expect.any(String) }]);
    await o.done;
    expect(rig.unlocks).toEqual([['ctl-1', 2, UNLOCK_MS]]);
    expect(rig.unlockSent).toEqual(['att-1']);
    expect(rig.expected).toEqual(['att-1']);
    expect(rig.leds).toEqual([AuraColour.Green]);
    expect(rig.followUps).toEqual([]);
  });

  it('counts as door work from the Search result until the unlock is answered: requests and exports wait meanwhile', async () => {
    let answer!: (r: ReplyBody) => void;
    rig.unlockResult = () => new Promise<ReplyBody>((r) => (answer = r));
    expect(doorsFirst.busy).toBe(false);
    const badging = rig.badge.badge('reader-1', ALICE_FINGER, 0);
    expect(doorsFirst.busy).toBe(true);
    const o = await badging;
    while (rig.unlocks.length === 0) await new Promise((r) => setImmediate(r));
    expect(doorsFirst.busy).toBe(true);
    answer({ ok: true } as ReplyBody);
    await o.done;
    expect(doorsFirst.busy).toBe(false);
  });

  it('ends the door work when the attempt fails before a decision', async () => {
    await expect(rig.badge.badge('reader-nowhere', ALICE_FINGER, 0)).rejects.toThrow(/not a door reader/);
    expect(doorsFirst.busy).toBe(false);
  });

  it.each([
    ['an unknown finger', () => {}, null, 'unknown_finger'],
    ['a finger of nobody known', () => {}, { pageId: 99, score: 200 }, 'unknown_finger'],
    ['a low score', () => {}, { pageId: 3, score: 10 }, 'low_score'],
    ['an offline controller', (r: Rig): void => void (r.controller = 'offline'), ALICE_FINGER, 'controller_offline'],
    ['a door held locked', (r: Rig): void => void (r.mode = 'locked'), ALICE_FINGER, 'door_locked'],
  ] as const)('denies %s: no unlock, red', async (_what, arrange, hit, reason) => {
    arrange(rig);
    const o = await rig.badge.badge('reader-1', hit, 0);
    await o.done;
    expect(o.decision).toMatchObject({ granted: false, reason });
    expect(rig.appended).toMatchObject([{ result: 'denied', reason }]);
    expect(rig.unlocks).toEqual([]);
    expect(rig.leds).toEqual([AuraColour.Red]);
  });

  it('keeps the door shut when the attempt could not be recorded', async () => {
    rig.durable = () => Promise.reject(new Error('disk full'));
    const o = await rig.badge.badge('reader-1', ALICE_FINGER, 0);
    await o.done;
    expect(o.decision.granted).toBe(true);
    expect(rig.unlocks).toEqual([]);
    expect(rig.leds).toEqual([AuraColour.Red]);
    expect(rig.errors).toEqual(['attempt att-1 could not be recorded, door stays shut: disk full']);
  });

  it('says so when a denied attempt could not be recorded (a hole in the history is never silent)', async () => {
    rig.durable = () => Promise.reject(new Error('disk full'));
    const o = await rig.badge.badge('reader-1', { pageId: 3, score: 10 }, 0);
    await o.done;
    expect(o.decision.granted).toBe(false);
    expect(rig.unlocks).toEqual([]);
    expect(rig.leds).toEqual([AuraColour.Red]);
    expect(rig.errors).toEqual(['attempt att-1 (denied) could not be recorded: disk full']);
  });

  it('records door_unreachable and raises an alarm when the unlock fails', async () => {
    rig.unlockResult = () => Promise.reject(new DoorCommandError('no-reply', 'no reply', 'ctl-1'));
    const o = await rig.badge.badge('reader-1', ALICE_FINGER, 0);
    await o.done;
    expect(rig.followUps).toEqual([{ attemptId: 'att-1', reason: 'door_unreachable', result: 'denied' }]);
    expect(rig.alarms).toEqual([
      { kind: 'door_unreachable', siteId: 'site-1', zoneId: 'suite-1', doorId: 'd1', controllerId: 'ctl-row-1', attemptId: 'att-1', detail: 'no-reply' },
    ]);
    expect(rig.expected).toEqual([]);
    expect(rig.leds).toEqual([AuraColour.Red]);
  });

  it('reloads a stale model before deciding, and only then', async () => {
    await rig.badge.badge('reader-1', ALICE_FINGER, 0);
    expect(rig.refreshes).toBe(0);
    rig.staleModel = true;
    rig.model = null;
    const o = await rig.badge.badge('reader-1', ALICE_FINGER, 0);
    expect(rig.refreshes).toBe(1);
    expect(o.decision.granted).toBe(true);
  });

  it('records a reader no door names as unknown_door, and refuses a reader that is not a door reader', async () => {
    const o = await rig.badge.badge('reader-loose', ALICE_FINGER, 0);
    await o.done;
    expect(o.decision).toMatchObject({ granted: false, reason: 'unknown_door' });
    await expect(rig.badge.badge('desk-reader', ALICE_FINGER, 0)).rejects.toThrow('reader desk-reader is not a door reader');
  });
});
