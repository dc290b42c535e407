import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessEventEntity, AccessLogService } from '@acs/access-log';
import { ErasureJobEntity, ErasureProbe, ErasureService } from '@acs/compliance';
import { DataKeyEntity } from '@acs/crypto';
import { FingerprintTemplateEntity } from '@acs/reader-fleet';
import { customerScope, PersonEntity } from '@acs/registry';
import { buildVirtualSite, startAppAt, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { anyFlashHolds, badgeEvents, endService, enrolPerson, newCustomer, scanDatabase } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(120_000);

/**
 * A crash at every step of the purge, in turn. Not a SIGKILL of a child process (the server
 * would have to be built into dist/ for that): a fault injected at a named point inside the
 * step aborts it the way a dying process would (nothing after that point runs, the runner is
 * stopped at once), then the whole application is closed and a new one started over the same
 * SQLite file, master key and readers. The new process must finish the job and certify it
 * exactly as an uninterrupted purge would.
 */
const CRASH_POINTS = [
  'readers:queued',
  'before-save:readers',
  'before-save:server_data',
  'history:chunk',
  'before-save:history',
  'before-save:key',
  'before-save:physical',
  'certificate:issue',
];

describe('purge survives a crash at every step', () => {
  let t: TestApp;
  let readers: VirtualDevice[];
  let site: Site;
  let masterKey: string;
  let dir: string;

  const services = () => {
    const { library, manager } = tuneForTests(t);
    return { library, manager, eraser: t.app.get(ErasureService), ds: t.app.get(DataSource) };
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600', PURGE_SCHEDULE_ENABLED: 'false' }, keepDir: true });
    dir = t.dir;
    masterKey = t.config.MASTER_KEY!;
    const { manager } = services();
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    await Promise.all([site.deskId, site.suiteEntryId, site.suiteExitId, site.cageEntryId].map((id) => manager.whenReady(id)));
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(readers.map((d) => d.close()));
    const { rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CRASH_POINTS)('crash at %s: after a restart the purge completes and the certificate is correct', async (point) => {
    const { library, eraser } = services();
    const tag = point
      .replace(/[^a-z]/gi, '')
      .slice(0, 12)
      .toUpperCase();
    const customerId = await newCustomer(t, tag, `Contactpersoon ${tag}-Marker`);
    const kees = await enrolPerson(t, site, readers, library, customerId, `Kees${tag}`);
    await badgeEvents(t, site, customerId, kees.personId, 12);
    const head = await t.app.get(AccessLogService).verify(customerId);
    await endService(t, customerId);

    let crashed = false;
    t.app.get(ErasureProbe).listen((at) => {
      if (at !== point || crashed) return;
      crashed = true;
      // The process dies here: the runner stops at once, nothing after this point runs.
      void eraser.onApplicationShutdown();
      throw new Error(`simulated crash at ${at}`);
    });
    const compliance = await t.tokenFor('compliance');
    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const jobId = started.body.id as string;
    const deadline = Date.now() + 20_000;
    while (!crashed && Date.now() < deadline) await sleep(20);
    expect(crashed).toBe(true);
    const atCrash = await t.app.get(DataSource).getRepository(ErasureJobEntity).findOneByOrFail({ id: jobId });
    expect(atCrash.state).not.toBe('done');

    await t.close();
    t = await startAppAt(dir, masterKey, t.clock);
    const after = services();
    await Promise.all([site.suiteEntryId, site.suiteExitId].map((id) => after.manager.whenReady(id)));
    after.eraser.pollMs = 50;
    const job = await waitForErasure(after.eraser, jobId, ['done'], 30_000);
    expect(job.state).toBe('done');

    expect(anyFlashHolds(readers, kees.template)).toBe(false);
    await expect(after.ds.getRepository(PersonEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(after.ds.getRepository(FingerprintTemplateEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(after.ds.getRepository(AccessEventEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(after.ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(customerId) })).resolves.toBe(0);
    expect(await scanDatabase(t, { plaintext: kees.plaintext, ciphertexts: kees.ciphertexts })).toEqual({ plaintext: 0, ciphertext: 0 });

    const certs = await after.eraser.certificates({ customerId });
    expect(certs).toHaveLength(1);
    const cert = await after.eraser.certificate(certs[0].id);
    expect(cert.valid).toBe(true);
    expect(cert.body).toMatchObject({
      customerId,
      complete: true,
      counts: { people: 1, templateRows: 1, contactPerson: 1, readerSlots: 2, readers: 2 },
      history: { mode: 'delete', events: 12, erasedHeadSeq: 12, erasedHeadHash: head.headHash },
      dataKey: { destroyed: true },
      physical: { clean: true, values: { keyPrefix: true } },
    });
    expect(cert.body.readers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ readerId: site.suiteEntryId, confirmedAt: expect.any(String) }),
        expect.objectContaining({ readerId: site.suiteExitId, confirmedAt: expect.any(String) }),
      ]),
    );
    expect(cert.body.readers).toHaveLength(2);
  });
});
