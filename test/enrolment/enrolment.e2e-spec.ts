import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { readEventStream } from '@acs/event-stream';
import { AuraColour } from '@acs/fingerprint';
import { FingerprintTemplateEntity, ReaderOpEntity, type ReaderLibraryService, type ReaderManager } from '@acs/reader-fleet';
import { EnrolmentService, type EnrolmentView } from '@acs/enrolment';
import { bearer, post } from '../support/registry-fixture.js';
import { storedBytes } from '../support/raw-store.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import {
  actAtDesk,
  buildVirtualSite,
  containsRun,
  flashTemplates,
  startVirtualReader,
  tuneForTests,
  type Site,
  type VirtualDevice,
} from './enrolment-support.js';
import { librarySettled, opsDone } from '../support/library-settled.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Enrolments poll real serial timing (virtual readers over TCP): give slow CI machines room.
jest.setTimeout(30_000);

describe('enrolment and reader libraries (virtual readers over TCP)', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let desk: VirtualDevice;
  let suiteEntry: VirtualDevice;
  let suiteExit: VirtualDevice;
  let cageEntry: VirtualDevice;
  let site: Site;
  let alice: string;
  let bob: string;
  let aliceSuiteGrant: string;
  let aliceTemplate: Buffer;

  const enrol = async (personId: string, finger: number, virtualFinger: string, options: { poorFirst?: boolean } = {}) => {
    const started = await post<EnrolmentView>(t, '/enrolments', { personId, finger, readerId: site.deskId });
    expect(started.status).toBe('running');
    return actAtDesk(t, desk.device, started.id, virtualFinger, options);
  };

  const grant = async (personId: string, accessLevelId: string) =>
    (await post<{ id: string }>(t, '/grants', { accessLevelId, customerId: site.customerId, personId })).id;

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '3' } });
    ({ manager, library } = tuneForTests(t));
    [desk, suiteEntry, suiteExit, cageEntry] = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: desk.url, suiteEntry: suiteEntry.url, suiteExit: suiteExit.url, cageEntry: cageEntry.url });
    alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Enrolment' })).id;
    bob = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Bob Enrolment' })).id;
    aliceSuiteGrant = await grant(alice, site.suiteLevelId);
    await Promise.all([site.deskId, site.suiteEntryId, site.suiteExitId, site.cageEntryId].map((id) => manager.whenReady(id)));
  });

  afterAll(async () => {
    await t.close();
    await Promise.all([desk, suiteEntry, suiteExit, cageEntry].map((d) => d.close()));
  });

  it('reports the readers on /ready and records the capacity the devices report', async () => {
    const ready = await t.http().get('/ready').expect(200);
    expect(ready.body.details.readers).toMatchObject({ status: 'up', [site.suiteEntryId]: 'ready', [site.deskId]: 'ready' });
    const reader = await t.http().get(`/readers/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(reader.body.capacity).toBe(200);
  });

  it('enrols a finger through the API, with prompts, a quality retry and the LED ring, and leaves the desk reader empty', async () => {
    const leds: number[] = [];
    desk.device.on('led', (l: { colour: number }) => leds.push(l.colour));
    const { final, prompts } = await enrol(alice, 1, 'alice-right-index', { poorFirst: true });
    expect(final).toMatchObject({ status: 'enrolled', progress: 1, reason: null, captures: { taken: 4, needed: 4 } });
    expect(final.quality).toBeGreaterThan(100);
    expect(prompts).toEqual(expect.arrayContaining(['place_finger', 'try_again', 'lift_finger', 'place_again']));
    expect(leds).toEqual(expect.arrayContaining([AuraColour.Blue, AuraColour.Yellow, AuraColour.White]));
    expect(leds[leds.length - 1]).toBe(AuraColour.Green);
    expect(desk.device.library()).toEqual([]);

    const fingers = await t.http().get(`/people/${alice}/fingerprints`).set(bearer(t.adminToken)).expect(200);
    expect(fingers.body).toEqual([expect.objectContaining({ id: final.templateId, finger: 1, size: 1536, model: 'r503' })]);
    expect(JSON.stringify(fingers.body)).not.toMatch(/template_?ct|ciphertext/i);
  });

  it('puts the template on exactly the door readers the grants cover', async () => {
    await librarySettled(library);
    const onEntry = flashTemplates(suiteEntry);
    const onExit = flashTemplates(suiteExit);
    expect(onEntry.size).toBe(1);
    expect(onExit.size).toBe(1);
    expect(flashTemplates(cageEntry).size).toBe(0);
    aliceTemplate = [...onEntry.values()][0];
    expect([...onExit.values()][0].equals(aliceTemplate)).toBe(true);

    const [slot] = onEntry.keys();
    await expect(library.slotOwner(site.suiteEntryId, slot)).resolves.toMatchObject({ personId: alice, customerId: site.customerId, state: 'stored' });
    await expect(library.slotOwner(site.cageEntryId, slot)).resolves.toBeNull();

    const view = await t.http().get('/reader-libraries').set(bearer(t.adminToken)).expect(200);
    const entry = (view.body as Array<Record<string, unknown>>).find((r) => r.readerId === site.suiteEntryId);
    expect(entry).toMatchObject({ state: 'ready', expected: 1, present: 1, pendingOps: 0, failedOps: 0, required: 1 });
  });

  it('streams progress as server-sent events', async () => {
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: alice, finger: 2, readerId: site.deskId });
    const stream = t
      .http()
      .get(`/enrolments/${started.id}/events`)
      .set(bearer(t.adminToken))
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => cb(null, text));
      });
    const [res] = await Promise.all([stream, actAtDesk(t, desk.device, started.id, 'alice-right-middle')]);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events: EnrolmentView[] = [];
    for await (const e of readEventStream(new Response(String(res.body)).body!)) events.push(JSON.parse(e.data) as EnrolmentView);
    expect(events.length).toBeGreaterThan(3);
    expect(events.map((e) => e.prompt)).toEqual(expect.arrayContaining(['lift_finger', 'place_again']));
    expect(events[events.length - 1]).toMatchObject({ status: 'enrolled', progress: 1 });
  });

  it('refuses the same finger for another person without saying whose it is, and audits it', async () => {
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: bob, finger: 1, readerId: site.deskId });
    const { final } = await actAtDesk(t, desk.device, started.id, 'alice-right-index');
    expect(final).toMatchObject({ status: 'refused', reason: 'duplicate_finger', templateId: null });
    const everything = JSON.stringify(
      await t
        .http()
        .get(`/enrolments/${started.id}`)
        .set(bearer(t.adminToken))
        .expect(200)
        .then((r) => r.body),
    );
    expect(everything).not.toContain(alice);
    const aliceTemplates = await t.app
      .get(DataSource)
      .getRepository(FingerprintTemplateEntity)
      .find({ where: { personId: alice } });
    for (const row of aliceTemplates) expect(everything).not.toContain(row.id);

    const audit = await t.http().get('/audit?action=enrollment.duplicate_refused').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual([expect.objectContaining({ targetId: bob, outcome: 'failure' })]);
    await expect(
      t.app
        .get(DataSource)
        .getRepository(FingerprintTemplateEntity)
        .count({ where: { personId: bob } }),
    ).resolves.toBe(0);
    expect(desk.device.library()).toEqual([]);
  });

  it('with many templates the duplicate check searches the door libraries, stepping around the finger being replaced', async () => {
    const enrolments = t.app.get(EnrolmentService);
    enrolments.directMatchLimit = 0;
    try {
      const searchesBefore = suiteEntry.device.commands.filter((c) => c === 0x04).length + suiteExit.device.commands.filter((c) => c === 0x04).length;
      const started = await post<EnrolmentView>(t, '/enrolments', { personId: bob, finger: 7, readerId: site.deskId });
      const { final } = await actAtDesk(t, desk.device, started.id, 'alice-right-index');
      expect(final).toMatchObject({ status: 'refused', reason: 'duplicate_finger' });
      const searchesAfter = suiteEntry.device.commands.filter((c) => c === 0x04).length + suiteExit.device.commands.filter((c) => c === 0x04).length;
      expect(searchesAfter).toBeGreaterThan(searchesBefore);

      // Re-enrolling alice's middle finger: the door library holds the old one, which must not count.
      const again = await post<EnrolmentView>(t, '/enrolments', { personId: alice, finger: 2, readerId: site.deskId });
      expect((await actAtDesk(t, desk.device, again.id, 'alice-right-middle')).final).toMatchObject({ status: 'enrolled' });
      await librarySettled(library);
      expect(flashTemplates(suiteEntry).size).toBe(2);
    } finally {
      enrolments.directMatchLimit = 20;
    }
  });

  it('cancels, times out, and keeps one enrolment per desk reader', async () => {
    const first = await post<EnrolmentView>(t, '/enrolments', { personId: bob, finger: 3, readerId: site.deskId });
    const busy = await t.http().post('/enrolments').set(bearer(t.adminToken)).send({ personId: alice, finger: 4, readerId: site.deskId });
    expect({ status: busy.status, code: busy.body.code }).toEqual({ status: 409, code: 'enrollment.reader_busy' });
    await t.http().post(`/enrolments/${first.id}/cancel`).set(bearer(t.adminToken)).expect(200);
    const cancelled = await actAtDesk(t, desk.device, first.id, 'nobody');
    expect(cancelled.final).toMatchObject({ status: 'cancelled', reason: 'cancelled' });

    const second = await post<EnrolmentView>(t, '/enrolments', { personId: bob, finger: 3, readerId: site.deskId });
    let view: EnrolmentView = second;
    const until = Date.now() + 8000;
    while (view.status === 'running' && Date.now() < until) {
      await sleep(100);
      view = (await t.http().get(`/enrolments/${second.id}`).set(bearer(t.adminToken)).expect(200)).body as EnrolmentView;
    }
    expect(view).toMatchObject({ status: 'failed', reason: 'timeout' });
  });

  it('follows grants: a new grant adds the template to the cage reader, revoking the suite grant removes it there', async () => {
    await grant(alice, site.cageLevelId);
    await librarySettled(library);
    expect(flashTemplates(cageEntry).size).toBe(2); // alice's two fingers
    await t.http().delete(`/grants/${aliceSuiteGrant}`).set(bearer(t.adminToken)).expect(204);
    await librarySettled(library);
    expect(flashTemplates(suiteEntry).size).toBe(0);
    expect(flashTemplates(suiteExit).size).toBe(0);
    expect(flashTemplates(cageEntry).size).toBe(2);
    expect([...flashTemplates(cageEntry).values()].some((b) => b.equals(aliceTemplate))).toBe(true);
  });

  it('a suspension removes the person everywhere; lifting it puts the templates back', async () => {
    await t.http().patch(`/customers/${site.customerId}/people/${alice}`).set(bearer(t.adminToken)).send({ status: 'suspended' }).expect(200);
    await librarySettled(library);
    expect(flashTemplates(cageEntry).size).toBe(0);
    await t.http().patch(`/customers/${site.customerId}/people/${alice}`).set(bearer(t.adminToken)).send({ status: 'active' }).expect(200);
    await librarySettled(library);
    expect(flashTemplates(cageEntry).size).toBe(2);
  });

  it('a reader that was offline during changes converges when it comes back', async () => {
    await cageEntry.unplug();
    const down = Date.now() + 5000;
    while (manager.isReady(site.cageEntryId) && Date.now() < down) await sleep(20);
    expect(manager.isReady(site.cageEntryId)).toBe(false);

    // While it is away: bob enrols and gets the cage, alice loses it.
    const { final } = await enrol(bob, 5, 'bob-left-thumb');
    expect(final.status).toBe('enrolled');
    const bobCage = await grant(bob, site.cageLevelId);
    const aliceGrants = await t.http().get(`/customers/${site.customerId}/grants`).set(bearer(t.adminToken)).expect(200);
    const aliceCage = (aliceGrants.body.items as Array<{ id: string; personId: string; accessLevelId: string }>).find(
      (g) => g.personId === alice && g.accessLevelId === site.cageLevelId,
    )!;
    await t.http().delete(`/grants/${aliceCage.id}`).set(bearer(t.adminToken)).expect(204);
    await sleep(200);
    const pending = await t.http().get(`/reader-libraries/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(pending.body.state).not.toBe('ready');
    expect(pending.body.pendingOps).toBeGreaterThanOrEqual(3);
    expect(flashTemplates(cageEntry).size).toBe(2);

    await cageEntry.plug();
    await manager.whenReady(site.cageEntryId, 5000);
    await librarySettled(library, [site.cageEntryId]);
    const now = flashTemplates(cageEntry);
    expect(now.size).toBe(1);
    expect([...now.values()][0].equals(aliceTemplate)).toBe(false);
    const [slot] = now.keys();
    await expect(library.slotOwner(site.cageEntryId, slot)).resolves.toMatchObject({ personId: bob });
    expect(bobCage).toBeTruthy();
  });

  it('reconciliation deletes a ghost template planted on a reader and pushes back a missing one', async () => {
    // A ghost: a template the server never put there (slot 150), stored behind the server's back.
    await manager.withReader(site.cageEntryId, async (r) => {
      cageEntry.device.place('stranger');
      await r.captureImage();
      await r.imageToTemplate(1);
      await r.store(1, 150);
      cageEntry.device.lift();
      const [bobSlot] = [...flashTemplates(cageEntry).keys()].filter((s) => s !== 150);
      await r.deleteTemplates(bobSlot, 1); // and bob's template lost
    });
    expect(flashTemplates(cageEntry).has(150)).toBe(true);

    const res = await t.http().post(`/reader-libraries/${site.cageEntryId}/reconcile`).set(bearer(t.adminToken)).expect(200);
    expect(res.body).toMatchObject({ found: 1, expected: 1, ghostsDeleted: 1, missingPushed: 1, error: null });
    await librarySettled(library, [site.cageEntryId]);
    const after = flashTemplates(cageEntry);
    expect(after.has(150)).toBe(false);
    expect(after.size).toBe(1);
    const view = await t.http().get(`/reader-libraries/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(view.body.lastReconciliation).toMatchObject({ ghostsDeleted: 1, missingPushed: 1 });
  });

  it('re-enrolling a finger replaces the template everywhere; deleting a finger deletes it everywhere', async () => {
    const [oldSlot] = flashTemplates(cageEntry).keys();
    const old = await library.slotOwner(site.cageEntryId, oldSlot);
    const { final } = await enrol(bob, 5, 'bob-left-thumb');
    expect(final.status).toBe('enrolled');
    await librarySettled(library);
    // Four captures of a virtual finger often merge to the very same bytes, so compare records.
    const replaced = flashTemplates(cageEntry);
    expect(replaced.size).toBe(1);
    const [newSlot] = replaced.keys();
    await expect(library.slotOwner(site.cageEntryId, newSlot)).resolves.toMatchObject({ templateId: final.templateId, personId: bob });
    expect(final.templateId).not.toBe(old?.templateId);
    await expect(t.app.get(DataSource).getRepository(FingerprintTemplateEntity).existsBy({ id: old!.templateId })).resolves.toBe(false);
    const ops = await t.app
      .get(DataSource)
      .getRepository(ReaderOpEntity)
      .find({ where: { readerId: site.cageEntryId, kind: 'delete', slot: oldSlot, state: 'done' } });
    expect(ops.length).toBeGreaterThan(0);

    const del = await t.http().delete(`/people/${bob}/fingerprints/5`).set(bearer(t.adminToken)).expect(200);
    expect(del.body.opIds.length).toBe(1);
    await opsDone(library, del.body.opIds, 5000);
    expect(flashTemplates(cageEntry).size).toBe(0);
    await expect(library.erasureStatus({ personId: bob }, del.body.readerIds)).resolves.toEqual([
      { readerId: site.cageEntryId, remainingSlots: 0, pendingOpIds: [], confirmed: true },
    ]);
    await t.http().get(`/people/${bob}/fingerprints`).set(bearer(t.adminToken)).expect(200, []);
  });

  it("erases a customer's templates from every reader through the outbox", async () => {
    await grant(alice, site.suiteLevelId);
    await librarySettled(library);
    expect(flashTemplates(suiteEntry).size).toBe(2);
    const ticket = await library.eraseTemplatesOf({ customerId: site.customerId });
    expect(ticket.readerIds.sort()).toEqual([site.suiteEntryId, site.suiteExitId].sort());
    expect(ticket.templatesDeleted).toBe(2);
    const states = await opsDone(library, ticket.opIds, 5000);
    expect(Object.values(states).every((s) => s === 'done')).toBe(true);
    expect(flashTemplates(suiteEntry).size + flashTemplates(suiteExit).size + flashTemplates(cageEntry).size).toBe(0);
    const status = await library.erasureStatus({ customerId: site.customerId }, ticket.readerIds);
    expect(status.every((s) => s.confirmed)).toBe(true);
  });

  it('never stores, logs or audits template bytes in clear', async () => {
    // Positive control: the scan finds a template where it is.
    expect(containsRun(Buffer.concat([Buffer.alloc(100), aliceTemplate]), aliceTemplate)).toBe(true);
    // The SQLite file and its WAL, or every text and bytea value in PostgreSQL.
    const db = await storedBytes(t.dir);
    expect(db.length).toBeGreaterThan(0);
    expect(containsRun(db, aliceTemplate)).toBe(false);
    for (const enc of ['hex', 'base64'] as const) expect(db.includes(aliceTemplate.subarray(8, 40).toString(enc))).toBe(false);

    const logs = t.logs.text();
    const auditRows = JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM audit_entry'));
    for (const text of [logs, auditRows]) {
      for (const enc of ['hex', 'base64'] as const) expect(text.includes(aliceTemplate.subarray(8, 40).toString(enc))).toBe(false);
      expect(containsRun(Buffer.from(text, 'latin1'), aliceTemplate)).toBe(false);
    }
    expect(auditRows).toContain('enrollment.complete');
  });
});
