import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ReaderManager, type ReaderLibraryService } from '@acs/reader-fleet';
import { type EnrolmentView } from '@acs/enrolment';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { actAtDesk, buildVirtualSite, flashTemplates, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from './enrolment-support.js';
import { librarySettled, opsDone } from '../support/library-settled.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Enrolments poll real serial timing (virtual readers over TCP): give slow CI machines room.
jest.setTimeout(30_000);

describe('reader manager with virtual readers', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let readers: VirtualDevice[];
  let spare: VirtualDevice;
  let site: Site;
  let person: string;

  const enrol = async (finger: number, name: string) => {
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: person, finger, readerId: site.deskId });
    return (await actAtDesk(t, readers[0].device, started.id, name)).final;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600' } });
    ({ manager, library } = tuneForTests(t));
    // The cage reader is a small module: two templates.
    readers = await Promise.all([{}, {}, {}, { capacity: 2 }].map((o) => startVirtualReader(t.dir, o)));
    spare = await startVirtualReader(t.dir, { capacity: 2 });
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    person = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Manager Person' })).id;
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: site.customerId, personId: person });
    await Promise.all([site.deskId, site.cageEntryId].map((id) => manager.whenReady(id)));
  });

  afterAll(async () => {
    await t.close();
    await Promise.all([...readers, spare].map((d) => d.close()));
  });

  it('plans with the capacity the module reports and real finger counts: a finger that cannot fit is refused', async () => {
    const reader = await t.http().get(`/readers/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(reader.body.capacity).toBe(2);
    expect((await enrol(0, 'mp-thumb')).status).toBe('enrolled');
    expect((await enrol(1, 'mp-index')).status).toBe('enrolled');
    const refused = await t.http().post('/enrolments').set(bearer(t.adminToken)).send({ personId: person, finger: 2, readerId: site.deskId });
    expect({ status: refused.status, code: refused.body.code, readerId: refused.body.readerId }).toEqual({
      status: 409,
      code: 'reader.capacity_exceeded',
      readerId: site.cageEntryId,
    });
    // the registry's grant check counts the same enrolled fingers: one more person cannot fit
    const other = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Second Person' });
    const grant = await t
      .http()
      .post('/grants')
      .set(bearer(t.adminToken))
      .send({ accessLevelId: site.cageLevelId, customerId: site.customerId, personId: other.id });
    expect({ status: grant.status, code: grant.body.code, required: grant.body.required }).toEqual({
      status: 409,
      code: 'reader.capacity_exceeded',
      required: 3,
    });
    await librarySettled(library);
    const libs = await t.http().get('/reader-libraries').set(bearer(t.adminToken)).expect(200);
    expect((libs.body as Array<{ readerId: string }>).find((l) => l.readerId === site.cageEntryId)).toMatchObject({
      required: 2,
      expected: 2,
      present: 2,
      capacity: 2,
    });
  });

  it('reopens a reader whose transport changes and fills the new module through reconciliation', async () => {
    expect(flashTemplates(readers[3]).size).toBe(2);
    await t.http().patch(`/readers/${site.cageEntryId}`).set(bearer(t.adminToken)).send({ transport: spare.url }).expect(200);
    const until = Date.now() + 5000;
    while (flashTemplates(spare).size < 2 && Date.now() < until) await sleep(25);
    await librarySettled(library, [site.cageEntryId]);
    expect(flashTemplates(spare).size).toBe(2);
    const view = await t.http().get(`/reader-libraries/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(view.body).toMatchObject({ state: 'ready', present: 2, pendingOps: 0, lastReconciliation: { found: 0, missingPushed: 2 } });
  });

  it('pause keeps the outbox worker off a reader until resumed', async () => {
    const resume = manager.pause(site.cageEntryId);
    await t.http().delete(`/people/${person}/fingerprints/0`).set(bearer(t.adminToken)).expect(200);
    await sleep(200);
    expect(flashTemplates(spare).size).toBe(2);
    resume();
    await librarySettled(library, [site.cageEntryId]);
    expect(flashTemplates(spare).size).toBe(1);
  });

  it('empties a reader through the outbox and the next plan refills what the door needs', async () => {
    const before = spare.device.commands.filter((c) => c === 0x0d).length;
    const res = await t.http().post(`/reader-libraries/${site.cageEntryId}/empty`).set(bearer(t.adminToken)).expect(202);
    await opsDone(library, [res.body.opId], 5000);
    expect(spare.device.commands.filter((c) => c === 0x0d).length).toBe(before + 1);
    await librarySettled(library, [site.cageEntryId]);
    expect(flashTemplates(spare).size).toBe(1);
    const view = await t.http().get(`/reader-libraries/${site.cageEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(view.body).toMatchObject({ expected: 1, present: 1, pendingOps: 0 });
  });
});

describe('reader manager disabled', () => {
  let t: TestApp;
  let device: VirtualDevice;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false' } });
    device = await startVirtualReader(t.dir);
  });

  afterAll(async () => {
    await t.close();
    await device.close();
  });

  it('opens no reader and refuses enrolment instead of touching a device', async () => {
    const site = await buildVirtualSite(t, {
      desk: device.url,
      suiteEntry: 'tcp://127.0.0.1:9',
      suiteExit: 'tcp://127.0.0.1:10',
      cageEntry: 'tcp://127.0.0.1:11',
    });
    const person = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Nobody' });
    await sleep(100);
    expect(t.app.get(ReaderManager).list()).toEqual([]);
    expect(device.server.hasClient).toBe(false);
    const res = await t.http().post('/enrolments').set(bearer(t.adminToken)).send({ personId: person.id, finger: 0, readerId: site.deskId });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'enrollment.reader_unavailable' });
    await t.http().get('/ready').expect(200);
  });
});
