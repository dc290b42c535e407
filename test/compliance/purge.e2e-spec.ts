import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessEventEntity, AccessLogService } from '@acs/access-log';
import { ErasureCertificateEntity, type ErasureService } from '@acs/compliance';
import { CardCredentialEntity } from '@acs/credentials';
import { DataKeyEntity } from '@acs/crypto';
import { FingerprintTemplateEntity, type ReaderLibraryService, type ReaderManager } from '@acs/reader-fleet';
import { CustomerEntity, customerScope, PersonEntity } from '@acs/registry';
import { buildVirtualSite, flashTemplates, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { leaks } from '../support/personal-data.js';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ON_POSTGRES } from '../support/test-database.js';
import { purgeVerify } from '../../apps/cli/src/compliance-commands.js';
import { anyFlashHolds, badgeEvents, endService, enrolPerson, erasure, issueCard, newCustomer, scanDatabase, searchEveryReader } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(60_000);

interface CertificateBody {
  hash: string;
  contractRef: string;
  physical: { values: { plaintext: number; cards: number }; files: Array<{ file: string; bytes: number }> };
  readers: unknown[];
  steps: Record<string, unknown>;
}

describe('end-of-service purge with virtual readers', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let readers: VirtualDevice[];
  let site: Site;
  let eraser: ErasureService;
  let compliance: string;
  let auditor: string;
  let ds: DataSource;
  let doorReaders: string[];

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600', PURGE_SCHEDULE_ENABLED: 'false' } });
    ({ manager, library } = tuneForTests(t));
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    doorReaders = [site.suiteEntryId, site.suiteExitId, site.cageEntryId];
    await Promise.all([site.deskId, ...doorReaders].map((id) => manager.whenReady(id)));
    eraser = erasure(t);
    compliance = await t.tokenFor('compliance');
    auditor = await t.tokenFor('auditor');
    ds = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(readers.map((d) => d.close()));
  });

  it('erases templates from every reader, people, contact, cards, history and key, and proves it with a byte scan and a certificate', async () => {
    const customerId = await newCustomer(t, 'ONE', 'Contactpersoon Vlietstra-Marker');
    const alice = await enrolPerson(t, site, readers, library, customerId, 'Aaltje');
    const bob = await enrolPerson(t, site, readers, library, customerId, 'Bouwe');
    // Alice has a card with a PIN, Bob one without: three stored hashes the purge must remove.
    const aliceCard = await issueCard(t, customerId, alice.personId, { pin: '60418' });
    const bobCard = await issueCard(t, customerId, bob.personId);
    const cardHashes = [...aliceCard.stored, ...bobCard.stored];
    expect(cardHashes).toHaveLength(3);
    await badgeEvents(t, site, customerId, alice.personId, 30);
    await badgeEvents(t, site, customerId, bob.personId, 20);
    const head = await t.app.get(AccessLogService).verify(customerId);
    expect(head).toMatchObject({ ok: true, checked: 50 });

    const contact = await ds.getRepository(CustomerEntity).findOneByOrFail({ id: customerId });
    const values = {
      plaintext: [...alice.plaintext, ...bob.plaintext, 'Contactpersoon Vlietstra-Marker'],
      ciphertexts: [...alice.ciphertexts, ...bob.ciphertexts, contact.contactNameCt!],
    };
    // Positive control: the scan finds the stored ciphertexts before the purge (names are never in clear).
    const before = await scanDatabase(t, values);
    expect(before.ciphertext).toBeGreaterThanOrEqual(values.ciphertexts.length);
    expect(before.plaintext).toBe(0);
    expect((await scanDatabase(t, { plaintext: cardHashes, ciphertexts: [] })).plaintext).toBeGreaterThanOrEqual(cardHashes.length);
    expect(anyFlashHolds(readers.slice(1, 3), alice.template)).toBe(true);
    expect((await searchEveryReader(manager, [site.suiteEntryId], alice.template))[0]).not.toBeNull();

    // A running service cannot be purged.
    await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(409);

    await endService(t, customerId);
    const preview = await t.http().get(`/compliance/customers/${customerId}/purge-preview`).set(bearer(compliance)).expect(200);
    expect(preview.body).toMatchObject({ status: 'ended', due: true, people: 2, templates: 2, historyEvents: 50, legalHolds: 0, dataKeyPresent: true });
    expect(leaks(JSON.stringify(preview.body), values.plaintext)).toEqual([]);
    await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(auditor)).expect(403);

    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const job = await waitForErasure(eraser, started.body.id as string);
    expect(job.state).toBe('done');

    // Readers: nothing in any flash, and the finger is unknown at every door reader.
    for (const d of readers) expect(flashTemplates(d).size).toBe(0);
    await expect(searchEveryReader(manager, doorReaders, alice.template)).resolves.toEqual([null, null, null]);
    await expect(searchEveryReader(manager, doorReaders, bob.template)).resolves.toEqual([null, null, null]);

    // Server: rows gone, contact gone, key gone, history gone.
    await expect(ds.getRepository(PersonEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(customerId) })).resolves.toBe(0);
    await expect(ds.getRepository(CardCredentialEntity).countBy({ customerId })).resolves.toBe(0);
    const customer = await t.http().get(`/customers/${customerId}`).set(bearer(t.adminToken)).expect(200);
    expect(customer.body).toMatchObject({ status: 'purged', contact: null });

    // Physical: neither names nor any ciphertext in the file, the WAL or the shm.
    expect(await scanDatabase(t, values)).toEqual({ plaintext: 0, ciphertext: 0 });
    expect(await scanDatabase(t, { plaintext: cardHashes, ciphertexts: [] })).toEqual({ plaintext: 0, ciphertext: 0 });

    // The certificate: listed for auditors, downloadable, self-hashed, no personal data.
    const list = await t.http().get(`/compliance/certificates?customerId=${customerId}`).set(bearer(auditor)).expect(200);
    expect(list.body).toHaveLength(1);
    const cert = await t.http().get(`/compliance/certificates/${list.body[0].id}`).set(bearer(auditor)).expect(200);
    expect(cert.headers['x-certificate-valid']).toBe('true');
    expect(cert.headers['content-disposition']).toMatch(/attachment/);
    const body = cert.body as CertificateBody;
    expect(body).toMatchObject({
      kind: 'customer',
      customerId,
      complete: true,
      counts: { people: 2, templateRows: 2, contactPerson: 1, personGrants: 2, readers: 2, cards: 2, pins: 1 },
      history: { mode: 'delete', events: 50, erasedHeadSeq: head.headSeq, erasedHeadHash: head.headHash },
      dataKey: { destroyed: true },
      physical: { clean: true, values: { keyPrefix: true, collectedInThisRun: true } },
      deferred: null,
    });
    expect(body.contractRef).toMatch(/^PRG-ONE-/);
    expect(body.physical.values.plaintext).toBe(8); // six values of two people, contact name and e-mail
    expect(body.physical.values.cards).toBe(3); // two card hashes and a PIN hash
    // SQLite: the WAL was checkpointed and truncated, then the three files scanned. PostgreSQL (no
    // secure_delete): the tables the purge wrote to were vacuumed, then every table scanned in SQL.
    const evidence = {
      postgres: {
        physical: {
          driver: 'postgres',
          vacuumed: true,
          vacuum: { tables: expect.arrayContaining(['person', 'fingerprint_template', 'customer', 'access_event', 'data_key', 'card_credential']) },
        },
        files: expect.arrayContaining([
          'table:person',
          'table:customer',
          'table:fingerprint_template',
          'table:access_event',
          'table:audit_entry',
          'table:card_credential',
        ]),
      },
      sqlite: { physical: { checkpoint: { busy: 0 } }, files: ['db', 'wal', 'shm'] },
    }[ON_POSTGRES ? 'postgres' : 'sqlite'];
    expect(body.physical).toMatchObject(evidence.physical);
    expect(body.physical.files.map((f) => f.file)).toEqual(evidence.files);
    expect(body.physical.files.find((f) => f.file === 'wal')?.bytes ?? 0).toBe(0);
    expect(body.readers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ readerId: site.suiteEntryId, confirmedAt: expect.any(String) }),
        expect.objectContaining({ readerId: site.suiteExitId, confirmedAt: expect.any(String) }),
      ]),
    );
    expect(Object.keys(body.steps)).toEqual(['readers', 'server_data', 'history', 'key', 'physical', 'certificate']);
    expect(leaks(JSON.stringify(body), values.plaintext)).toEqual([]);
    for (const c of values.ciphertexts) expect(JSON.stringify(body)).not.toContain(c.slice(60, 108));
    expect(leaks(JSON.stringify(body), cardHashes)).toEqual([]);
    const row = await ds.getRepository(ErasureCertificateEntity).findOneByOrFail({ id: list.body[0].id });
    expect(row.hash).toBe(body.hash);

    // The audit trail names the purge and the certificate, ids only.
    const audit = await t.http().get('/audit?action=compliance.erasure.certified').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ targetId: list.body[0].id })]));
    expect(leaks(JSON.stringify(audit.body), values.plaintext)).toEqual([]);
    expect(leaks(t.logs.text(), values.plaintext)).toEqual([]);
  });

  // Tests of PostgreSQL's own mechanics, skipped on SQLite (the title says so). test-database.ts
  // stays free of Jest so the benchmarks can start test apps too.
  (ON_POSTGRES ? describe : describe.skip)('on PostgreSQL (no secure_delete; runs with ACS_TEST_DATABASE=postgres)', () => {
    it('the purge vacuumed every table it deleted personal data from', async () => {
      const stats = (await ds.query(
        `SELECT relname, last_vacuum FROM pg_stat_user_tables WHERE relname IN ('person', 'customer', 'fingerprint_template', 'access_event', 'data_key', 'card_credential')`,
      )) as Array<{ relname: string; last_vacuum: Date | null }>;
      expect(stats.map((r) => r.relname).sort()).toEqual(['access_event', 'card_credential', 'customer', 'data_key', 'fingerprint_template', 'person']);
      // Only the erasure vacuums by hand: autovacuum runs would show in last_autovacuum instead.
      expect(stats.filter((r) => r.last_vacuum === null).map((r) => r.relname)).toEqual([]);
    });
  });

  it('acsctl purge:verify checks every certificate and notices a tampered one', async () => {
    const lines: unknown[] = [];
    const out = { line: (l: string) => lines.push(l), json: (v: unknown) => lines.push(v) };
    await expect(purgeVerify(t.config, out, { json: true })).resolves.toBe(true);
    expect(lines[0]).toEqual([expect.objectContaining({ kind: 'customer', complete: true, hashOk: true, stillErased: true, problems: [] })]);
    const [row] = await ds.getRepository(ErasureCertificateEntity).find();
    await ds.getRepository(ErasureCertificateEntity).update({ id: row.id }, { body: row.body.replace('"complete":true', '"complete":false') });
    await expect(purgeVerify(t.config, out, { json: true })).resolves.toBe(false);
    expect(lines[1]).toEqual([
      expect.objectContaining({
        hashOk: false,
        problems: ['hash does not match the body', 'signature: the certificate in the database differs from the signed one'],
      }),
    ]);
    await ds.getRepository(ErasureCertificateEntity).update({ id: row.id }, { body: row.body });
  });

  it('waits for an offline reader, shows it as outstanding, and finishes when it returns', async () => {
    const customerId = await newCustomer(t, 'TWO', 'Contactpersoon Offline-Marker');
    const carla = await enrolPerson(t, site, readers, library, customerId, 'Carla');
    await endService(t, customerId);
    await readers[2].unplug();
    await sleep(300);

    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const waiting = await waitForErasure(eraser, started.body.id as string, ['waiting_for_devices'], 20_000);
    expect(waiting.step).toBe('readers');
    // The online reader's delete runs beside the job: the job may first wait for both readers and
    // confirm the online one on its next look (pollMs), so the view is read until that happened.
    const viewOf = async () =>
      (await t.http().get(`/compliance/erasures/${started.body.id}`).set(bearer(compliance)).expect(200)).body as {
        state: string;
        outstandingReaders: Array<{ readerId: string }>;
      };
    let view = await viewOf();
    for (const deadline = Date.now() + 10_000; view.outstandingReaders.length > 1 && Date.now() < deadline; view = await viewOf()) await sleep(50);
    expect(view.state).toBe('waiting_for_devices');
    expect(view.outstandingReaders).toEqual([expect.objectContaining({ readerId: site.suiteExitId, confirmedAt: null })]);
    // The online reader is already clean; the server still has the template (step 2 not run).
    expect(anyFlashHolds([readers[1]], carla.template)).toBe(false);
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ customerId })).resolves.toBe(1);

    await readers[2].plug();
    const done = await waitForErasure(eraser, started.body.id as string, ['done'], 30_000);
    expect(done.state).toBe('done');
    expect(anyFlashHolds(readers, carla.template)).toBe(false);
    const cert = await eraser.certificate((await eraser.certificates({ customerId }))[0].id);
    expect(cert.valid).toBe(true);
    expect(cert.body.readers).toEqual(expect.arrayContaining([expect.objectContaining({ readerId: site.suiteExitId, confirmedAt: expect.any(String) })]));
    expect(await scanDatabase(t, { plaintext: carla.plaintext, ciphertexts: carla.ciphertexts })).toEqual({ plaintext: 0, ciphertext: 0 });
  });

  it('the scheduled job takes customers whose service ended', async () => {
    const customerId = await newCustomer(t, 'SCHED', 'Contactpersoon Schedule-Marker');
    await enrolPerson(t, site, readers, library, customerId, 'Dirk');
    await expect(eraser.dueCustomers()).resolves.not.toContain(customerId);
    await endService(t, customerId);
    await expect(eraser.dueCustomers()).resolves.toContain(customerId);
    const { started } = await eraser.runScheduled();
    expect(started).toHaveLength(1);
    const job = await waitForErasure(eraser, started[0]);
    expect(job).toMatchObject({ state: 'done', trigger: 'schedule' });
    await expect(eraser.dueCustomers()).resolves.not.toContain(customerId);
  });
});
