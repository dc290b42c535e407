import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BADGE_IN_DECISION_REASONS, CREDENTIAL_REASONS } from '@acs/access-rules';
import { BadgeInService } from '@acs/badge-in';
import { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { badgeAt, bearer, buildBadgeSite, connectController, enrol, eventsOf, post, setupBadgeApp, until, type BadgeSite } from './badge-in-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(30_000);

/**
 * Every decision reason through the server's badge-in service: the Search result a door reader
 * would report (slot and score) is handed to the service, with the registry changed over the HTTP
 * API as staff would. The reasons the real-finger suite reaches are checked there again here; the
 * access-rules specs table-test the pure decision for every reason as well.
 */
describe('badge-in reasons at the service level', () => {
  let t: TestApp;
  let site: BadgeSite;
  let ctlA: VirtualController;
  let ctlB: VirtualController;
  let service: BadgeInService;
  let alice: string;
  let aliceGrant: string;
  let aliceSlot: number;
  const seen = new Set<string>();
  let resumeWorkers: Array<() => void> = [];

  /** Where the reader's library holds the person's finger now (the bookkeeping, from memory). */
  const slotOf = async (readerId: string, personId: string): Promise<number> => {
    const library = t.app.get(ReaderLibraryService);
    for (let slot = 0; slot < 200; slot++) if ((await library.slotOwner(readerId, slot))?.personId === personId) return slot;
    throw new Error(`no slot of ${personId} on ${readerId}`);
  };

  const patch = (path: string, body: object) => t.http().patch(path).set(bearer(t.adminToken)).send(body).expect(200);
  const badge = async (readerId: string, hit: { pageId: number; score: number } | null) => {
    const o = await service.badge(readerId, hit);
    await o.done;
    const [e] = await eventsOf(t, o.attemptId);
    expect(e).toMatchObject({ reason: o.decision.reason, result: o.decision.granted ? 'granted' : 'denied' });
    seen.add(o.decision.reason);
    return o.decision;
  };
  const alicesFinger = () => ({ pageId: aliceSlot, score: 200 });
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    t = await startTestApp({
      env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '5', BADGE_POLL_INTERVAL_MS: '10', MQTT_COMMAND_TIMEOUT_MS: '500', BADGE_UNLOCK_MS: '1000' },
    });
    await setupBadgeApp(t);
    service = t.app.get(BadgeInService);
    site = await buildBadgeSite(t);
    ctlA = await connectController(t, site.controllerA);
    ctlB = await connectController(t, site.controllerB);
    alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Reasons' })).id;
    aliceGrant = (await post<{ id: string }>(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: alice })).id;
    await enrol(t, site, alice, 1, 'alice-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    aliceSlot = await slotOf(site.suiteEntryId, alice);
    // Registry changes below would re-plan the libraries; keep the door readers' slots where they are.
    const manager = t.app.get(ReaderManager);
    resumeWorkers = [site.suiteEntryId, site.suiteExitId, site.cageEntryId].map((id) => manager.pause(id));
    await until('controllers online', () => service.doorViews().every((d) => d.controllerStatus === 'online') || undefined);
  });

  afterAll(async () => {
    await ctlA?.stop();
    await ctlB?.stop();
    await t?.close();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
  });

  it('granted, low_score, unknown_finger', async () => {
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ granted: true, reason: 'granted', personId: alice });
    expect(await badge(site.suiteEntryId, { pageId: aliceSlot, score: 5 })).toMatchObject({ reason: 'low_score', personId: null });
    expect(await badge(site.suiteEntryId, null)).toMatchObject({ reason: 'unknown_finger' });
    // A slot the bookkeeping does not know (a ghost before reconciliation) names nobody.
    expect(await badge(site.suiteEntryId, { pageId: 150, score: 300 })).toMatchObject({ reason: 'unknown_finger' });
  });

  it('unknown_door: a door reader no door names yet', async () => {
    const loose = await post<{ id: string }>(t, '/readers', {
      siteId: site.siteId,
      name: 'Loose reader',
      model: 'R50x',
      transport: 'tcp://127.0.0.1:9',
      role: 'door',
    });
    await service.wiring();
    expect(await badge(loose.id, alicesFinger())).toMatchObject({ reason: 'unknown_door' });
  });

  it('person status and validity', async () => {
    const now = t.clock.nowMs();
    const cases: Array<[object, string]> = [
      [{ status: 'suspended' }, 'person_suspended'],
      [{ status: 'restricted' }, 'person_restricted'],
      [{ status: 'active', validFrom: iso(now + 86_400_000) }, 'person_not_yet_valid'],
      [{ validFrom: null, validUntil: iso(now - 1000) }, 'person_expired'],
    ];
    for (const [body, reason] of cases) {
      await patch(`/customers/${site.customerId}/people/${alice}`, body);
      expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ granted: false, reason });
    }
    await patch(`/customers/${site.customerId}/people/${alice}`, { status: 'active', validFrom: null, validUntil: null });
  });

  it('grants: none for the door, not yet valid, expired, outside schedule', async () => {
    const now = t.clock.nowMs();
    // Alice's only grant covers the suite; the slot on the suite exit reader names her too.
    const exitSlot = await slotOf(site.suiteExitId, alice);
    await patch(`/grants/${aliceGrant}`, { validFrom: iso(now + 86_400_000) });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'grant_not_yet_valid' });
    await patch(`/grants/${aliceGrant}`, { validFrom: iso(now - 2 * 86_400_000), validUntil: iso(now - 86_400_000) });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'grant_expired' });
    await patch(`/grants/${aliceGrant}`, { validFrom: null, validUntil: null });
    const swap = async (accessLevelId: string) => {
      await t.http().delete(`/grants/${aliceGrant}`).set(bearer(t.adminToken)).expect(204);
      aliceGrant = (await post<{ id: string }>(t, '/grants', { accessLevelId, customerId: site.customerId, personId: alice })).id;
    };
    await swap(site.weekendLevelId);
    expect(await badge(site.suiteExitId, { pageId: exitSlot, score: 200 })).toMatchObject({ reason: 'outside_schedule' });
    await swap(site.cageLevelId);
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'no_grant_for_door' });
    await swap(site.suiteLevelId);
  });

  it('door held locked by an operator, emergency release, zone lockdown', async () => {
    service.setOverrides([site.suiteDoorId], 'locked');
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'door_locked' });
    service.setOverrides([site.suiteDoorId], 'emergency_release');
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ granted: true, reason: 'emergency_release' });
    service.setOverrides([site.suiteDoorId], null);
    await patch(`/zones/${site.suiteZoneId}`, { lockdown: true });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'zone_lockdown' });
    await patch(`/zones/${site.suiteZoneId}`, { lockdown: false });
  });

  it('anti-passback, interlock, two-person, controller offline', async () => {
    await patch(`/zones/${site.suiteZoneId}`, { antiPassback: 'hard' });
    service.zoneState.forgiveAntiPassback(alice);
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'granted' });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'anti_passback' });
    await patch(`/zones/${site.suiteZoneId}`, { antiPassback: 'off', interlockGroup: 'g1' });
    await patch(`/zones/${site.cageZoneId}`, { interlockGroup: 'g1' });
    service.zoneState.applyDoorEvent({ doorId: site.cageDoorId, kind: 'opened', at: t.clock.nowMs() });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'interlock_busy' });
    service.zoneState.applyDoorEvent({ doorId: site.cageDoorId, kind: 'closed', at: t.clock.nowMs() });
    await patch(`/zones/${site.suiteZoneId}`, { interlockGroup: null, twoPersonWindowSeconds: 30 });
    await patch(`/zones/${site.cageZoneId}`, { interlockGroup: null });
    t.clock.advance(20_000);
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'two_person_pending' });
    const bob = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Bob Reasons' })).id;
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: bob });
    for (const resume of resumeWorkers) resume();
    await enrol(t, site, bob, 1, 'bob-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    aliceSlot = await slotOf(site.suiteEntryId, alice);
    const second = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'bob-right-index');
    seen.add(second.decision.reason);
    expect(second.decision).toMatchObject({ reason: 'two_person_granted', companionPersonId: alice });
    await patch(`/zones/${site.suiteZoneId}`, { twoPersonWindowSeconds: null });
    await ctlA.stop();
    t.clock.advance(1000);
    await until('controller A offline', () => service.doorViews().find((d) => d.doorId === site.suiteDoorId)?.controllerStatus === 'offline' || undefined);
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'controller_offline' });
  });

  it('customer service ended', async () => {
    await patch(`/customers/${site.customerId}`, { serviceEnd: iso(t.clock.nowMs() - 1000) });
    expect(await badge(site.suiteEntryId, alicesFinger())).toMatchObject({ reason: 'customer_service_ended' });
  });

  it('reached every reason except those noted', () => {
    // customer_purged needs the compliance purge (issue 9), unknown_person a person deleted while
    // their slot is still mapped, customer_not_started a customer whose start moved after enrolment
    // (the API cannot move it); all three are table-tested in libs/access-rules/src/badge-in.spec.ts.
    // A finger alone never meets the card and PIN reasons (the card e2e reaches those); the two a
    // finger shares with them, low_score and unknown_finger, must still be reached here.
    // escort_pending and escorted need a visitor checked in at the desk: test/console/visitors
    // reaches both through the badge-in service by card, and the access-rules specs table-test them.
    const cardOnly = new Set<string>(CREDENTIAL_REASONS.filter((r) => r !== 'low_score' && r !== 'unknown_finger'));
    const notReached = BADGE_IN_DECISION_REASONS.filter((r) => !seen.has(r) && !cardOnly.has(r));
    expect(notReached.sort()).toEqual(['customer_not_started', 'customer_purged', 'escort_pending', 'escorted', 'unknown_person']);
  });
});
