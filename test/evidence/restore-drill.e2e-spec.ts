import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccessLogService } from '@acs/access-log';
import { certificateFileName, ErasureService } from '@acs/compliance';
import { DataKeyEntity } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { CustomerEntity, customerScope, PersonEntity } from '@acs/registry';
import { bearer, buildSite, createCustomer, createPerson, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ON_POSTGRES } from '../support/test-database.js';
import { purgeReapply, purgeVerify } from '../../apps/cli/src/compliance-commands.js';
import { anyFlashHolds, endService, enrolPerson, erasure, newCustomer, searchEveryReader } from '../compliance/compliance-support.js';
import { buildVirtualSite, startVirtualReader, tuneForTests } from '../enrolment/enrolment-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(90_000);

const capture = () => {
  const lines: string[] = [];
  const json: unknown[] = [];
  return { lines, json, out: { line: (l: string) => void lines.push(l), json: (v: unknown) => void json.push(v) } };
};

async function events(t: TestApp, site: SiteFixture, customerId: string, personId: string, n: number): Promise<void> {
  const receipts = t.app.get(AccessLogService).append(
    Array.from({ length: n }, (_, i) => ({
      customerId,
      personId,
      siteId: site.siteId,
      direction: 'entry' as const,
      result: 'granted' as const,
      reason: 'granted',
      occurredAt: t.clock.nowMs() - (n - i) * 1000,
    })),
  );
  await Promise.all(receipts.map((r) => r.durable));
}

// The restore is a file copy of the SQLite database while the server is stopped; on PostgreSQL the
// same drill is pg_dump/pg_restore, which the suite does not drive.
(ON_POSTGRES ? describe.skip : describe)('restore drill: a backup older than a purge (issue 15, part 4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-drill-'));
  const backupDir = mkdtempSync(join(tmpdir(), 'acs-drill-backup-'));
  const env = { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false', MASTER_KEY: randomBytes(32).toString('base64') };

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('back up, purge, restore, start: the undone purge is reported by id, purge:reapply erases it again once, nothing else changes', async () => {
    const backup = join(backupDir, 'acs.sqlite');
    let t = await startTestApp({ env, dir, keepDir: true });
    const site = await buildSite(t);
    const gone = await createCustomer(t);
    const person = await createPerson(t, gone.id);
    await events(t, site, gone.id, person.id, 5);
    const stays = await createCustomer(t);
    const other = await createPerson(t, stays.id);
    await events(t, site, stays.id, other.id, 3);
    const otherHead = await t.app.get(AccessLogService).verify(stays.id);
    await t.app.get(WriteQueue).run(() => t.app.get(DataSource).query(`VACUUM INTO '${backup}'`));

    await endService(t, gone.id);
    const eraser = t.app.get(ErasureService);
    eraser.pollMs = 50;
    const job = await eraser.startCustomerPurge(gone.id, 'manual', { actorType: 'system', actorId: null, role: null });
    await waitForErasure(eraser, job.id);
    const [original] = await eraser.certificates({ customerId: gone.id });
    expect(existsSync(join(t.config.certificateDir, certificateFileName(original.id)))).toBe(true);
    await expect(purgeVerify(t.config, capture().out, {})).resolves.toBe(true);
    await t.close();

    // Restore the backup taken before the purge (server stopped).
    for (const f of readdirSync(dir)) if (f.startsWith('acs.sqlite')) rmSync(join(dir, f));
    copyFileSync(backup, join(dir, 'acs.sqlite'));
    // As an operator restores it: the server refuses a database others can read.
    chmodSync(join(dir, 'acs.sqlite'), 0o600);

    const errors = jest.spyOn(Logger.prototype, 'error');
    t = await startTestApp({ env, dir, keepDir: true });
    try {
      const ds = t.app.get(DataSource);
      await expect(ds.getRepository(PersonEntity).countBy({ customerId: gone.id })).resolves.toBe(1); // the purge is undone
      const alarm = errors.mock.calls.map((c) => String(c[0])).find((m) => m.includes('erasure undone'));
      expect(alarm).toContain(`certificate ${original.id} (customer ${gone.id})`);
      expect(alarm).toContain('1 person row(s)');
      const ready = await t.http().get('/ready');
      expect(ready.body.details.erasure_evidence).toMatchObject({ status: 'up', undonePurges: 1, invalidCertificateFiles: 0 });
      const listed = await t
        .http()
        .get('/compliance/undone-purges')
        .set(bearer(await t.tokenFor('auditor')))
        .expect(200);
      expect(listed.body.undone).toEqual([expect.objectContaining({ certificate: original.id, kind: 'customer', customerId: gone.id, personId: null })]);

      const verify = capture();
      await expect(purgeVerify(t.config, verify.out, {})).resolves.toBe(false);
      expect(verify.lines.join('\n')).toContain(
        `${original.id} customer customer ${gone.id}: signed certificate file: customer not marked purged, 1 person row(s), 5 history event(s), 1 data key(s) back; run acsctl purge:reapply`,
      );

      const first = capture();
      await purgeReapply(t.config, first.out, { json: true });
      const plan = first.json[0] as { started: Array<{ jobId: string; customerId: string; reapplies: string[] }> };
      expect(plan.started).toEqual([expect.objectContaining({ customerId: gone.id, reapplies: [original.id] })]);
      // Idempotent: queued once; the server's runner (readers included) carries it out.
      const again = capture();
      await purgeReapply(t.config, again.out, { json: true });
      expect(again.json[0]).toMatchObject({ started: [], alreadyRunning: [expect.objectContaining({ jobId: plan.started[0].jobId })] });
      const eraser2 = t.app.get(ErasureService);
      eraser2.pollMs = 50;
      await waitForErasure(eraser2, plan.started[0].jobId);

      const certs = await eraser2.certificates({ customerId: gone.id });
      expect(certs).toHaveLength(1); // the restored database never had the original row
      const renewed = await eraser2.certificate(certs[0].id);
      expect(renewed).toMatchObject({
        valid: true,
        signature: 'valid',
        body: { trigger: 'reapply', reapplies: [original.id], complete: true, physical: { clean: true } },
      });
      expect(existsSync(join(t.config.certificateDir, certificateFileName(certs[0].id)))).toBe(true);

      await expect(ds.getRepository(PersonEntity).countBy({ customerId: gone.id })).resolves.toBe(0);
      await expect(ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(gone.id) })).resolves.toBe(0);
      expect((await ds.getRepository(CustomerEntity).findOneByOrFail({ id: gone.id })).purgedAt).not.toBeNull();
      await expect(purgeVerify(t.config, capture().out, {})).resolves.toBe(true);
      const third = capture();
      await purgeReapply(t.config, third.out, {});
      expect(third.lines).toEqual([expect.stringContaining('Nothing to re-apply')]);

      // Nothing else changed: the other customer's person, key and history are as they were.
      await expect(ds.getRepository(PersonEntity).countBy({ customerId: stays.id })).resolves.toBe(1);
      await expect(ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(stays.id) })).resolves.toBe(1);
      await expect(t.app.get(AccessLogService).verify(stays.id)).resolves.toEqual(otherHead);
    } finally {
      errors.mockRestore();
      await t.close();
    }
  });

  it('a person erasure undone by a restore is named with the person, and re-applied to that person only', async () => {
    const personDir = mkdtempSync(join(tmpdir(), 'acs-drill-person-'));
    const backup = join(backupDir, 'person.sqlite');
    const personEnv = { ...env, MASTER_KEY: randomBytes(32).toString('base64') };
    let t = await startTestApp({ env: personEnv, dir: personDir, keepDir: true });
    try {
      const customer = await createCustomer(t);
      const erased = await createPerson(t, customer.id);
      const colleague = await createPerson(t, customer.id);
      await t.app.get(WriteQueue).run(() => t.app.get(DataSource).query(`VACUUM INTO '${backup}'`));
      const eraser = erasure(t);
      await waitForErasure(eraser, (await eraser.startPersonErasure(erased.id, 'person', null, null)).id);
      const [original] = await eraser.certificates({ customerId: customer.id });
      await t.close();

      for (const f of readdirSync(personDir)) if (f.startsWith('acs.sqlite')) rmSync(join(personDir, f));
      copyFileSync(backup, join(personDir, 'acs.sqlite'));
      // As an operator restores it: the server refuses a database others can read.
      chmodSync(join(personDir, 'acs.sqlite'), 0o600);
      t = await startTestApp({ env: personEnv, dir: personDir, keepDir: true });
      const listed = await t.http().get('/compliance/undone-purges').set(bearer(t.adminToken)).expect(200);
      expect(listed.body.undone).toEqual([
        { certificate: original.id, kind: 'person', customerId: customer.id, personId: erased.id, issuedAt: expect.any(String), back: ['1 person row(s)'] },
      ]);
      const reapplied = await t
        .http()
        .post('/compliance/purges/reapply')
        .set(bearer(await t.tokenFor('compliance')))
        .expect(202);
      const jobs = (reapplied.body as { jobs: Array<{ id: string; kind: string; personId: string; trigger: string }> }).jobs;
      expect(jobs).toEqual([expect.objectContaining({ kind: 'person', personId: erased.id, trigger: 'reapply' })]);
      await waitForErasure(erasure(t), jobs[0].id);
      const ds = t.app.get(DataSource);
      await expect(ds.getRepository(PersonEntity).countBy({ id: erased.id })).resolves.toBe(0);
      await expect(ds.getRepository(PersonEntity).countBy({ id: colleague.id })).resolves.toBe(1);
      const again = await t.http().get('/compliance/undone-purges').set(bearer(t.adminToken)).expect(200);
      expect(again.body.undone).toEqual([]);
      const [renewed] = await erasure(t).certificates({ customerId: customer.id });
      await expect(erasure(t).certificate(renewed.id)).resolves.toMatchObject({
        valid: true,
        body: { kind: 'person', personId: erased.id, reapplies: [original.id] },
      });
    } finally {
      await t.close();
      rmSync(personDir, { recursive: true, force: true });
    }
  });

  it('readers included: the restored registry puts the finger back on the door readers, and the re-applied purge takes it off again', async () => {
    const drillDir = mkdtempSync(join(tmpdir(), 'acs-drill-readers-'));
    const flashDir = mkdtempSync(join(tmpdir(), 'acs-drill-flash-'));
    const backup = join(backupDir, 'readers.sqlite');
    const readerEnv = { PURGE_SCHEDULE_ENABLED: 'false', READER_SYNC_INTERVAL_S: '3600', MASTER_KEY: randomBytes(32).toString('base64') };
    const readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(flashDir)));
    let t = await startTestApp({ env: readerEnv, dir: drillDir, keepDir: true });
    try {
      let { manager, library } = tuneForTests(t);
      const site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
      const doorReaders = [site.suiteEntryId, site.suiteExitId, site.cageEntryId];
      await Promise.all([site.deskId, ...doorReaders].map((id) => manager.whenReady(id)));
      const customerId = await newCustomer(t, 'DRILL', 'Contactpersoon Drill-Marker');
      const enrolled = await enrolPerson(t, site, readers, library, customerId, 'Drilla');
      await t.app.get(WriteQueue).run(() => t.app.get(DataSource).query(`VACUUM INTO '${backup}'`));
      await endService(t, customerId);
      const eraser = erasure(t);
      await waitForErasure(eraser, (await eraser.startCustomerPurge(customerId, 'manual', null)).id);
      expect(anyFlashHolds(readers.slice(1), enrolled.template)).toBe(false);
      await t.close();

      for (const f of readdirSync(drillDir)) if (f.startsWith('acs.sqlite')) rmSync(join(drillDir, f));
      copyFileSync(backup, join(drillDir, 'acs.sqlite'));
      // As an operator restores it: the server refuses a database others can read.
      chmodSync(join(drillDir, 'acs.sqlite'), 0o600);
      t = await startTestApp({ env: readerEnv, dir: drillDir, keepDir: true });
      ({ manager, library } = tuneForTests(t));
      await Promise.all(doorReaders.map((id) => manager.whenReady(id)));
      // The restored registry says the person may still enter: reconciliation stores the template again.
      for (const id of doorReaders) await t.http().post(`/reader-libraries/${id}/reconcile`).set(bearer(t.adminToken)).expect(200);
      await librarySettled(library);
      expect(anyFlashHolds(readers.slice(1), enrolled.template)).toBe(true);

      const plan = capture();
      await purgeReapply(t.config, plan.out, { json: true });
      const started = (plan.json[0] as { started: Array<{ jobId: string }> }).started;
      expect(started).toHaveLength(1);
      await waitForErasure(erasure(t), started[0].jobId);
      await librarySettled(library);
      expect(anyFlashHolds(readers.slice(1), enrolled.template)).toBe(false);
      await expect(searchEveryReader(manager, doorReaders, enrolled.template)).resolves.toEqual([null, null, null]);
      const [cert] = await erasure(t).certificates({ customerId });
      const body = (await erasure(t).certificate(cert.id)).body as { trigger: string; readers: unknown[]; physical: { clean: boolean } };
      expect(body.trigger).toBe('reapply');
      expect(body.readers.length).toBeGreaterThan(0);
      expect(body.physical.clean).toBe(true);
      await expect(purgeVerify(t.config, capture().out, {})).resolves.toBe(true);
    } finally {
      await t.close();
      await Promise.all(readers.map((d) => d.close()));
      rmSync(drillDir, { recursive: true, force: true });
      rmSync(flashDir, { recursive: true, force: true });
    }
  });
});
