import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import type { EnrolmentView } from '@acs/enrolment';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { actAtDesk, buildVirtualSite, flashTemplates, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from './enrolment-support.js';
import { librarySettled } from '../support/library-settled.js';

// Enrolments poll real serial timing (virtual readers over TCP): give slow CI machines room.
jest.setTimeout(30_000);

// Validity and service end pass with time, not with a registry change: the periodic re-plan
// (READER_SYNC_INTERVAL_S; called directly here, the clock being fake) must take them off the readers.
describe('reader libraries as time passes', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let readers: VirtualDevice[];
  let site: Site;

  const HOUR = 3_600_000;

  const enrolAndGrant = async (customerId: string, body: Record<string, unknown>, finger: string) => {
    const person = await post<{ id: string }>(t, `/customers/${customerId}/people`, { fullName: 'Time Passes', ...body });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId, personId: person.id });
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: person.id, finger: 0, readerId: site.deskId });
    const { final } = await actAtDesk(t, readers[0].device, started.id, finger);
    expect(final.status).toBe('enrolled');
    await librarySettled(library);
    return person.id;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600' } });
    ({ manager, library } = tuneForTests(t));
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    await Promise.all([site.deskId, site.suiteEntryId, site.suiteExitId, site.cageEntryId].map((id) => manager.whenReady(id)));
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(readers.map((d) => d.close()));
  });

  it('a person whose validity ends leaves the readers at the next periodic plan', async () => {
    const until = new Date(t.clock.nowMs() + HOUR).toISOString();
    await enrolAndGrant(site.customerId, { validUntil: until }, 'temp-worker-thumb');
    expect(flashTemplates(readers[1]).size).toBe(1);
    t.clock.advance(2 * HOUR);
    await library.syncNow();
    await librarySettled(library);
    expect(flashTemplates(readers[1]).size).toBe(0);
    expect(flashTemplates(readers[2]).size).toBe(0);
  });

  it('a customer whose service ends leaves the readers at the next periodic plan', async () => {
    const customer = await post<{ id: string }>(t, '/customers', {
      companyName: 'Ending B.V.',
      contractRef: `END-${Date.now() % 100000}`,
      serviceStart: '2026-01-01T00:00:00+01:00',
      serviceEnd: new Date(t.clock.nowMs() + HOUR).toISOString(),
    });
    await enrolAndGrant(customer.id, {}, 'ending-customer-index');
    expect(flashTemplates(readers[1]).size).toBe(1);
    const before = await t.http().get(`/reader-libraries/${site.suiteEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(before.body).toMatchObject({ expected: 1, present: 1 });
    t.clock.advance(2 * HOUR);
    await library.syncNow();
    await librarySettled(library);
    expect(flashTemplates(readers[1]).size).toBe(0);
    const after = await t.http().get(`/reader-libraries/${site.suiteEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(after.body).toMatchObject({ expected: 0, present: 0, pendingOps: 0 });
  });
});
