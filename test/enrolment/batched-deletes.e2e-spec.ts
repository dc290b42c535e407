import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Clock, seededRandom } from '@acs/clock';
import { FingerprintTemplateEntity, ReaderOpEntity, ReaderSlotEntity, TemplateVault, type ReaderLibraryService, type ReaderManager } from '@acs/reader-fleet';
import { captureFeatures, featuresToTemplate } from '../../hardware/virtual-reader/src/finger.model.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { buildVirtualSite, flashTemplates, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from './enrolment-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(30_000);

const DELET_CHAR = 0x0c;
const READ_INDEX_TABLE = 0x1f;

/**
 * Issue 24, purge readers step: the deletes waiting at the head of a reader's outbox go out as one
 * DeletChar per run of consecutive slots, are verified with one ReadIndexTable, and are booked in
 * one commit; a slot in between that belongs to someone else is never touched.
 */
describe('reader library: batched deletes', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let readers: VirtualDevice[];
  let site: Site;
  const rnd = seededRandom(24);

  /** A person granted the suite, with `fingers` templates written straight to the server (no desk enrolment). */
  const personWithTemplates = async (name: string, fingers: number[]) => {
    const p = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: name });
    const grant = await post<{ id: string }>(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: p.id });
    for (const finger of fingers) await addTemplate(p.id, finger);
    return { personId: p.id, grantId: grant.id };
  };
  const addTemplate = async (personId: string, finger: number) => {
    const id = randomUUID();
    const template = featuresToTemplate(captureFeatures(`${personId}-${finger}`, rnd), 1536);
    const templateCt = await t.app.get(TemplateVault).seal(site.customerId, id, template);
    await t.app
      .get(DataSource)
      .getRepository(FingerprintTemplateEntity)
      .insert({
        id,
        personId,
        customerId: site.customerId,
        finger,
        templateCt,
        model: 'r503',
        format: 'r503-native',
        size: 1536,
        quality: 300,
        enrolledBy: null,
        enrolledAt: t.app.get(Clock).nowMs(),
      });
    await library.plan();
    await librarySettled(library, [site.suiteEntryId]);
  };
  const slotsOf = async (personId: string) =>
    (
      await t.app
        .get(DataSource)
        .getRepository(ReaderSlotEntity)
        .find({ where: { readerId: site.suiteEntryId, personId } })
    )
      .map((s) => s.slot)
      .sort((a, b) => a - b);

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600' } });
    ({ manager, library } = tuneForTests(t));
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    await Promise.all([site.suiteEntryId, site.suiteExitId].map((id) => manager.whenReady(id)));
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(readers.map((d) => d.close()));
  });

  it('deletes runs of consecutive slots with one DeletChar each, verifies once, and leaves the gap alone', async () => {
    const a = await personWithTemplates('Batch Person A', [0, 1, 2]);
    const b = await personWithTemplates('Batch Person B', [0]);
    await addTemplate(a.personId, 3);
    const aSlots = await slotsOf(a.personId);
    const bSlots = await slotsOf(b.personId);
    // A in 0-2 and 4, B in 3 between them: two runs for A.
    expect({ aSlots, bSlots }).toEqual({ aSlots: [0, 1, 2, 4], bSlots: [3] });
    const entry = readers[1].device;
    const count = (code: number) => entry.commands.filter((c) => c === code).length;
    const before = { delet: count(DELET_CHAR), index: count(READ_INDEX_TABLE) };

    await t.http().delete(`/grants/${a.grantId}`).set(bearer(t.adminToken)).expect(204);
    await librarySettled(library, [site.suiteEntryId]);

    expect([...flashTemplates(readers[1]).keys()].sort((x, y) => x - y)).toEqual([3]);
    expect(await slotsOf(a.personId)).toEqual([]);
    expect(await slotsOf(b.personId)).toEqual([3]);
    expect({ delet: count(DELET_CHAR) - before.delet, index: count(READ_INDEX_TABLE) - before.index }).toEqual({ delet: 2, index: 1 });
    const ops = await t.app
      .get(DataSource)
      .getRepository(ReaderOpEntity)
      .find({ where: { readerId: site.suiteEntryId, kind: 'delete' } });
    expect(ops.map((o) => [o.slot, o.state, o.attempts]).sort()).toEqual([
      [0, 'done', 1],
      [1, 'done', 1],
      [2, 'done', 1],
      [4, 'done', 1],
    ]);
  });

  it('an erasure asking again while the reader is away gets the deletes already owed, not new ones', async () => {
    const c = await personWithTemplates('Batch Person C', [0, 1]);
    const resumes = [site.suiteEntryId, site.suiteExitId].map((id) => manager.pause(id));
    try {
      const first = await library.eraseTemplatesOf({ personId: c.personId }, { keepServerCopy: true });
      const again = await library.eraseTemplatesOf({ personId: c.personId }, { keepServerCopy: true });
      expect(first.opIds).toHaveLength(4); // two templates on the suite's entry and exit readers
      expect([...again.opIds].sort()).toEqual([...first.opIds].sort());
      const pending = await t.app
        .get(DataSource)
        .getRepository(ReaderOpEntity)
        .find({ where: { readerId: site.suiteEntryId, kind: 'delete', state: 'pending' } });
      expect(pending.map((o) => o.slot).sort()).toEqual(await slotsOf(c.personId));
    } finally {
      for (const resume of resumes) resume();
    }
    await librarySettled(library, [site.suiteEntryId, site.suiteExitId]);
    expect(await slotsOf(c.personId)).toEqual([]);
  });
});
