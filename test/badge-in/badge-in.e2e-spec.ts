import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessEventEntity } from '@acs/access-log';
import { BadgeInService, DoorAlarmEntity, type MonitorEvent } from '@acs/badge-in';
import { ReaderLibraryService } from '@acs/reader-fleet';
import { AuraColour } from '@acs/fingerprint';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import {
  badgeAt,
  bearer,
  buildBadgeSite,
  connectController,
  enrol,
  eventsOf,
  openSse,
  post,
  setupBadgeApp,
  until,
  type BadgeSite,
} from './badge-in-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(30_000);

/** The real path: virtual R503s over TCP, virtual controllers over the embedded broker, the whole server. */
describe('badge-in (virtual readers and controllers)', () => {
  let t: TestApp;
  let site: BadgeSite;
  let ctlA: VirtualController;
  let ctlB: VirtualController;
  let alice: string;
  let bob: string;
  let carol: string;
  let service: BadgeInService;
  const monitor: MonitorEvent[] = [];

  const grant = async (personId: string, accessLevelId: string) =>
    (await post<{ id: string }>(t, '/grants', { accessLevelId, customerId: site.customerId, personId })).id;
  const patch = (path: string, body: object) => t.http().patch(path).set(bearer(t.adminToken)).send(body).expect(200);

  beforeAll(async () => {
    t = await startTestApp({
      env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '5', BADGE_POLL_INTERVAL_MS: '10', MQTT_COMMAND_TIMEOUT_MS: '500', BADGE_UNLOCK_MS: '1000' },
    });
    await setupBadgeApp(t);
    service = t.app.get(BadgeInService);
    site = await buildBadgeSite(t);
    ctlA = await connectController(t, site.controllerA);
    ctlB = await connectController(t, site.controllerB);
    alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Badge' })).id;
    bob = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Bob Badge' })).id;
    await grant(alice, site.suiteLevelId);
    await grant(alice, site.cageLevelId);
    await grant(bob, site.weekendLevelId);
    carol = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Carol Badge' })).id;
    await grant(carol, site.cageLevelId);
    await enrol(t, site, alice, 1, 'alice-right-index');
    await enrol(t, site, bob, 1, 'bob-right-index');
    await enrol(t, site, carol, 1, 'carol-left-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    t.app.get(BadgeInService).on('badge', () => undefined);
    const { MonitorBus } = await import('@acs/badge-in');
    t.app
      .get(MonitorBus)
      .stream({})
      .subscribe((e) => monitor.push(e));
    await until('controllers online', () => service.doorViews().every((d) => d.controllerStatus === 'online') || undefined);
  });

  afterAll(async () => {
    await ctlA?.stop();
    await ctlB?.stop();
    await t?.close();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
  });

  it('grants a known finger: the event is durable before the signed unlock reaches the controller, green LED, and the opening is recorded as entered', async () => {
    const leds: number[] = [];
    site.readers.suiteEntry.device.on('led', (l: { colour: number }) => leds.push(l.colour));
    const before = ctlA.relayActivations(1);
    const o = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(o.decision).toMatchObject({
      granted: true,
      reason: 'granted',
      personId: alice,
      customerId: site.customerId,
      doorId: site.suiteDoorId,
      direction: 'entry',
    });
    const [attempt] = await eventsOf(t, o.attemptId);
    expect(attempt).toMatchObject({
      kind: 'attempt',
      result: 'granted',
      reason: 'granted',
      personId: alice,
      customerId: site.customerId,
      readerId: site.suiteEntryId,
    });
    expect(ctlA.relayActivations(1)).toBe(before + 1);
    expect(leds).toContain(AuraColour.Green);

    ctlA.openDoor(1);
    await until('entered follow-up', async () => (await eventsOf(t, o.attemptId)).find((e) => e.reason === 'entered'));
    ctlA.closeDoor(1);
    const all = await eventsOf(t, o.attemptId);
    expect(all.map((e) => [e.kind, e.reason])).toEqual([
      ['attempt', 'granted'],
      ['follow_up', 'entered'],
    ]);
    expect(monitor.some((e) => e.type === 'attempt' && e.attemptId === o.attemptId)).toBe(true);
  });

  it('records an unknown finger in the site chain with no person and no biometric data, red LED', async () => {
    const leds: number[] = [];
    site.readers.suiteEntry.device.on('led', (l: { colour: number }) => leds.push(l.colour));
    const o = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'stranger-left-thumb');
    expect(o.decision).toMatchObject({ granted: false, reason: 'unknown_finger', personId: null });
    const [e] = await eventsOf(t, o.attemptId);
    expect(e).toMatchObject({ customerId: null, personId: null, chainId: `site:${site.siteId}`, reason: 'unknown_finger', result: 'denied' });
    expect(leds).toContain(AuraColour.Red);
    expect(Object.keys(e)).not.toEqual(expect.arrayContaining(['template', 'score']));
  });

  it('denies outside the schedule with the reason on record', async () => {
    const o = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'bob-right-index');
    expect(o.decision).toMatchObject({ granted: false, reason: 'outside_schedule', personId: bob });
    const [e] = await eventsOf(t, o.attemptId);
    expect(e).toMatchObject({ result: 'denied', reason: 'outside_schedule', personId: bob, customerId: site.customerId });
  });

  it('records door_unreachable against the same attempt when the controller refuses the unlock, and raises an alarm', async () => {
    await ctlB.stop();
    // Status messages are ordered by the controller's clock: a new connection must be later than the last will.
    t.clock.advance(1000);
    // Its clock is 20 s ahead: within the server's 30 s bound on controller times, so online, but
    // beyond the commands' 2 s ttl, so every command is refused as stale. (Further ahead, its
    // messages would be refused as future-timestamp and it would stay offline.)
    ctlB = await connectController(t, site.controllerB, { clockAheadMs: 20_000 });
    await until('controller B online', () => service.doorViews().find((d) => d.doorId === site.cageDoorId)?.controllerStatus === 'online' || undefined);
    const o = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    expect(o.decision).toMatchObject({ granted: true, reason: 'granted' });
    const events = await eventsOf(t, o.attemptId);
    expect(events.map((e) => [e.kind, e.result, e.reason])).toEqual([
      ['attempt', 'granted', 'granted'],
      ['follow_up', 'denied', 'door_unreachable'],
    ]);
    const alarm = await until('alarm', () =>
      t.app
        .get(DataSource)
        .getRepository(DoorAlarmEntity)
        .findOne({ where: { attemptId: o.attemptId } })
        .then((a) => a ?? undefined),
    );
    expect(alarm).toMatchObject({ kind: 'door_unreachable', state: 'open', doorId: site.cageDoorId });
  });

  it('denies controller_offline while the controller is offline', async () => {
    await ctlB.stop();
    // Past the clock of the controller that ran ahead, so the next connection's status is newer.
    t.clock.advance(200_000);
    await until('controller B offline', () => service.doorViews().find((d) => d.doorId === site.cageDoorId)?.controllerStatus === 'offline' || undefined);
    const o = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    expect(o.decision).toMatchObject({ granted: false, reason: 'controller_offline' });
    t.clock.advance(1000);
    ctlB = await connectController(t, site.controllerB);
    await until('controller B online', () => service.doorViews().find((d) => d.doorId === site.cageDoorId)?.controllerStatus === 'online' || undefined);
  });

  it('enforces hard anti-passback across the entry and exit readers of a door', async () => {
    await patch(`/zones/${site.suiteZoneId}`, { antiPassback: 'hard' });
    // Alice entered in the first test.
    const again = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(again.decision).toMatchObject({ granted: false, reason: 'anti_passback' });
    const out = await badgeAt(t, site.readers.suiteExit, site.suiteExitId, 'alice-right-index');
    expect(out.decision).toMatchObject({ granted: true, reason: 'granted', direction: 'exit' });
    const outAgain = await badgeAt(t, site.readers.suiteExit, site.suiteExitId, 'alice-right-index');
    expect(outAgain.decision).toMatchObject({ granted: false, reason: 'anti_passback', direction: 'exit' });
    await patch(`/zones/${site.suiteZoneId}`, { antiPassback: 'soft' });
    const soft = await badgeAt(t, site.readers.suiteExit, site.suiteExitId, 'alice-right-index');
    expect(soft.decision).toMatchObject({ granted: true, violations: ['anti_passback'] });
    const events = await eventsOf(t, soft.attemptId);
    expect(events.map((e) => [e.kind, e.reason])).toEqual(expect.arrayContaining([['follow_up', 'anti_passback']]));
    await patch(`/zones/${site.suiteZoneId}`, { antiPassback: 'off' });
  });

  it('raises forced-open and held-open alarms from door events; staff acknowledge them (audited)', async () => {
    ctlB.openDoor(1);
    const forced = await until('forced-open alarm', () =>
      t.app
        .get(DataSource)
        .getRepository(DoorAlarmEntity)
        .findOne({ where: { kind: 'forced_open', doorId: site.cageDoorId, state: 'open' } })
        .then((a) => a ?? undefined),
    );
    ctlB.closeDoor(1);
    // The suite door's own limit is 1 s (the controller's firmware default is 30 s).
    ctlA.pressExit(1);
    ctlA.openDoor(1);
    const held = await until(
      'held-open alarm',
      () =>
        t.app
          .get(DataSource)
          .getRepository(DoorAlarmEntity)
          .findOne({ where: { kind: 'held_open', doorId: site.suiteDoorId, state: 'open' } })
          .then((a) => a ?? undefined),
      3000,
    );
    ctlA.closeDoor(1);
    ctlB.tamper();
    await until('tamper alarm', () =>
      t.app
        .get(DataSource)
        .getRepository(DoorAlarmEntity)
        .findOne({ where: { kind: 'tamper', state: 'open' } })
        .then((a) => a ?? undefined),
    );

    const open = await t.http().get('/alarms?state=open').set(bearer(t.adminToken)).expect(200);
    expect((open.body as Array<{ id: string }>).map((a) => a.id)).toEqual(expect.arrayContaining([forced.id, held.id]));
    const security = await t.tokenFor('security');
    const ack = await t.http().post(`/alarms/${forced.id}/acknowledge`).set(bearer(security)).send({ note: 'checked on camera' }).expect(200);
    expect(ack.body).toMatchObject({ state: 'acknowledged', ackNote: 'checked on camera' });
    await t.http().post(`/alarms/${forced.id}/acknowledge`).set(bearer(security)).send({}).expect(409);
    const customerToken = await post<{ token: string }>(t, `/customers/${site.customerId}/tokens`, { label: 'portal' });
    await t.http().post(`/alarms/${held.id}/acknowledge`).set(bearer(customerToken.token)).send({}).expect(403);
    const audit = await t.http().get('/audit?action=alarm.acknowledge').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ targetId: forced.id, outcome: 'success' })]));
  });

  it('lockdown of a zone denies with zone_lockdown and puts the controllers in locked-down; lifting it restores access', async () => {
    const res = await t.http().post(`/zones/${site.suiteZoneId}/lockdown`).set(bearer(t.adminToken)).send({ active: true }).expect(200);
    expect(res.body).toMatchObject({ mode: 'lockdown', active: true, doors: [{ doorId: site.suiteDoorId, controller: 'ok' }] });
    expect(ctlA.doorStates().find((d) => d.door === 1)?.mode).toBe('locked-down');
    const denied = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(denied.decision).toMatchObject({ granted: false, reason: 'zone_lockdown' });
    await t.http().post(`/zones/${site.suiteZoneId}/lockdown`).set(bearer(t.adminToken)).send({ active: false }).expect(200);
    expect(ctlA.doorStates().find((d) => d.door === 1)?.mode).toBe('normal');
    const audit = await t.http().get('/audit?action=zone.lockdown').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items.length).toBe(2);
  });

  it('a door held locked by an operator denies door_locked until the hold is released (audited)', async () => {
    await t.http().post(`/doors/${site.suiteDoorId}/hold-locked`).set(bearer(t.adminToken)).send({ active: true }).expect(200);
    const held = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(held.decision).toMatchObject({ granted: false, reason: 'door_locked' });
    await t.http().post(`/doors/${site.suiteDoorId}/hold-locked`).set(bearer(t.adminToken)).send({ active: false }).expect(200);
    const audit = await t.http().get('/audit?action=door.hold_locked').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items.length).toBe(2);
  });

  it('emergency release of a site lets identified people through without other checks; an auditor may not call it', async () => {
    const auditor = await t.tokenFor('auditor');
    await t.http().post(`/sites/${site.siteId}/emergency-release`).set(bearer(auditor)).send({ active: true }).expect(403);
    await t.http().post(`/sites/${site.siteId}/emergency-release`).set(bearer(t.adminToken)).send({ active: true }).expect(200);
    const o = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'bob-right-index');
    expect(o.decision).toMatchObject({ granted: true, reason: 'emergency_release' });
    await t.http().post(`/sites/${site.siteId}/emergency-release`).set(bearer(t.adminToken)).send({ active: false }).expect(200);
    const after = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'bob-right-index');
    expect(after.decision.reason).toBe('outside_schedule');
  });

  it('interlock: a cage entry is refused while the suite door of the same group is open', async () => {
    await patch(`/zones/${site.suiteZoneId}`, { interlockGroup: 'mantrap-1' });
    await patch(`/zones/${site.cageZoneId}`, { interlockGroup: 'mantrap-1' });
    ctlA.pressExit(1);
    ctlA.openDoor(1);
    await until('suite door open', () => service.zoneState.isDoorBusy(site.suiteDoorId, t.clock.nowMs()) || undefined);
    const busy = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    expect(busy.decision).toMatchObject({ granted: false, reason: 'interlock_busy' });
    ctlA.closeDoor(1);
    await until('suite door shut', () => (!service.zoneState.isDoorBusy(site.suiteDoorId, t.clock.nowMs()) ? true : undefined), 8000);
    await patch(`/zones/${site.suiteZoneId}`, { interlockGroup: null });
    await patch(`/zones/${site.cageZoneId}`, { interlockGroup: null });
  });

  it('two-person rule: the first person waits, a second distinct person within the window opens for both', async () => {
    await patch(`/zones/${site.cageZoneId}`, { twoPersonWindowSeconds: 30 });
    const first = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    expect(first.decision).toMatchObject({ granted: false, reason: 'two_person_pending', personId: alice });
    const second = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'carol-left-index');
    expect(second.decision).toMatchObject({ granted: true, reason: 'two_person_granted', personId: carol, companionPersonId: alice });
    await patch(`/zones/${site.cageZoneId}`, { twoPersonWindowSeconds: null });
  });

  it('streams live events to the desk with filters; a customer token sees only its own people', async () => {
    const other = await post<{ id: string }>(t, '/customers', {
      companyName: 'Other B.V.',
      contractRef: `OTHER-${Date.now() % 100000}`,
      serviceStart: '2026-01-01T00:00:00+01:00',
    });
    const own = await post<{ token: string }>(t, `/customers/${site.customerId}/tokens`, { label: 'live' });
    const desk = await openSse(t, `/monitor/events?doorId=${site.suiteDoorId}`, t.adminToken);
    const mine = await openSse(t, `/customers/${site.customerId}/monitor/events`, own.token);
    const theirs = await openSse(t, `/customers/${other.id}/monitor/events`, own.token);
    expect(theirs.status).toBe(403);
    const staffOnly = await openSse(t, '/monitor/events', own.token);
    expect(staffOnly.status).toBe(403);
    try {
      const a = await badgeAt(t, site.readers.suiteExit, site.suiteExitId, 'alice-right-index');
      const u = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'stranger-right-thumb');
      const c = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
      await until('desk events', () => desk.events.some((e) => e.data.attemptId === u.attemptId) || undefined);
      await until('customer events', () => mine.events.some((e) => e.data.attemptId === c.attemptId) || undefined);
      expect(desk.events.map((e) => e.data.attemptId)).toEqual(expect.arrayContaining([a.attemptId, u.attemptId]));
      expect(desk.events.some((e) => e.data.attemptId === c.attemptId)).toBe(false);
      expect(mine.events.map((e) => e.data.attemptId)).toEqual(expect.arrayContaining([a.attemptId, c.attemptId]));
      expect(mine.events.some((e) => e.data.attemptId === u.attemptId)).toBe(false);
      expect(mine.events.every((e) => e.data.customerId === site.customerId)).toBe(true);
      expect(JSON.stringify(desk.events)).not.toMatch(/Alice|Badge B\.V\./);
    } finally {
      desk.close();
      mine.close();
      theirs.close();
      staffOnly.close();
    }
  });

  it('shows doors and readers to the desk', async () => {
    const doors = await t.http().get(`/monitor/doors?siteId=${site.siteId}`).set(bearer(t.adminToken)).expect(200);
    expect(doors.body).toEqual(expect.arrayContaining([expect.objectContaining({ doorId: site.suiteDoorId, controllerStatus: 'online', open: false })]));
    const readers = await t.http().get('/monitor/readers').set(bearer(t.adminToken)).expect(200);
    expect(readers.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ readerId: site.suiteExitId, doorId: site.suiteDoorId, direction: 'exit', readerState: 'ready' })]),
    );
    const events = await t.app
      .get(DataSource)
      .getRepository(AccessEventEntity)
      .count({ where: { siteId: site.siteId } });
    expect(events).toBeGreaterThan(5);
  });
});
