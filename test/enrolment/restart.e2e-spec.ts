import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FakeClock } from '@acs/clock';
import { ReaderOpEntity } from '@acs/reader-fleet';
import { type EnrolmentView } from '@acs/enrolment';
import { bearer, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import {
  actAtDesk,
  buildVirtualSite,
  flashTemplates,
  startAppAt,
  startVirtualReader,
  tuneForTests,
  type Site,
  type VirtualDevice,
} from './enrolment-support.js';
import { librarySettled, opsDone } from '../support/library-settled.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Enrolments poll real serial timing (virtual readers over TCP): give slow CI machines room.
jest.setTimeout(30_000);

// The outbox is the only memory of what a reader still owes: a server restart while a reader is
// unplugged must lose nothing, and repeating an op that already reached the module must be harmless.
describe('reader outbox across a server restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-enr-restart-'));
  const key = randomBytes(32).toString('base64');
  const clock = new FakeClock('2026-11-26T09:00:00Z');
  let t: TestApp;
  let readers: VirtualDevice[];
  let site: Site;

  beforeAll(async () => {
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(dir)));
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all(readers.map((d) => d.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps pending operations through a restart and applies them when the reader returns', async () => {
    t = await startAppAt(dir, key, clock);
    let { manager, library } = tuneForTests(t);
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    await Promise.all([site.deskId, site.suiteEntryId].map((id) => manager.whenReady(id)));
    await readers[1].unplug();
    const down = Date.now() + 5000;
    while (manager.isReady(site.suiteEntryId) && Date.now() < down) await sleep(20);

    const person = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Restart Person' });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: person.id });
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: person.id, finger: 6, readerId: site.deskId });
    expect((await actAtDesk(t, readers[0].device, started.id, 'restart-finger')).final.status).toBe('enrolled');
    await librarySettled(library, [site.suiteExitId]);
    expect(flashTemplates(readers[2]).size).toBe(1);
    const owed = await t.app
      .get(DataSource)
      .getRepository(ReaderOpEntity)
      .count({ where: { readerId: site.suiteEntryId, state: 'pending' } });
    expect(owed).toBe(1);

    await t.close();
    t = await startAppAt(dir, key, clock);
    ({ manager, library } = tuneForTests(t));
    await readers[1].plug();
    await manager.whenReady(site.suiteEntryId, 5000);
    await librarySettled(library, [site.suiteEntryId]);
    const onEntry = flashTemplates(readers[1]);
    expect(onEntry.size).toBe(1);
    expect([...onEntry.values()][0].equals([...flashTemplates(readers[2]).values()][0])).toBe(true);
  });

  it('repeating an operation that already reached the module changes nothing', async () => {
    const { library } = tuneForTests(t);
    const repo = t.app.get(DataSource).getRepository(ReaderOpEntity);
    const done = await repo.findOneOrFail({ where: { readerId: site.suiteEntryId, kind: 'store', state: 'done' } });
    const before = flashTemplates(readers[1]);
    // As if the server died after the module stored the template but before `done` was written.
    await repo.update({ id: done.id }, { state: 'pending', doneAt: null });
    library.kick(site.suiteEntryId);
    await opsDone(library, [done.id], 5000);
    const after = flashTemplates(readers[1]);
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect([...after.values()][0].equals([...before.values()][0])).toBe(true);
    const view = await t.http().get(`/reader-libraries/${site.suiteEntryId}`).set(bearer(t.adminToken)).expect(200);
    expect(view.body).toMatchObject({ expected: 1, present: 1, pendingOps: 0, failedOps: 0 });
  });
});
