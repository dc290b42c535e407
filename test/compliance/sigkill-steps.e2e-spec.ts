import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateEvents } from '@acs/access-log/testing';
import { certificateHash } from '@acs/compliance';
import type { EnrolmentView } from '@acs/enrolment';
import { actAtDesk, buildVirtualSite, flashTemplates, startVirtualReader, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import { insertChainedInto, openRawStore } from '../support/raw-store.js';
import { SpawnedServer } from '../support/spawned-server.js';
import type { TestApp } from '../support/test-app.js';
import { dropDatabaseFor } from '../support/test-database.js';
import { scanDatabase } from './compliance-support.js';

jest.setTimeout(120_000);

const EVENTS = 40;
const STEPS = ['readers', 'server_data', 'history', 'key', 'physical', 'certificate'] as const;

let phones = 0;

/**
 * SIGKILL at every step of the purge state machine, in turn (issue 9). The built server runs as a
 * child process with ERASURE_PAUSE_BEFORE_STEP naming the step: the purge stops there (the API
 * shows the job running at that step), the process is killed with SIGKILL, and a server started
 * over the same files without the setting must finish the job with a certificate equal to that
 * of an uninterrupted purge. One site and its virtual readers serve every case.
 */
describe('purge survives SIGKILL before every step', () => {
  let dir: string;
  let srv: SpawnedServer;
  let readers: VirtualDevice[];
  let t: TestApp;
  let site: Site;
  let compliance: string;
  let baseline: { counts: Record<string, number> } | undefined;

  const start = (pauseBefore?: string) => srv.start(pauseBefore ? { ERASURE_PAUSE_BEFORE_STEP: pauseBefore } : {});
  const kill = () => srv.kill();
  const cli = (...args: string[]) => srv.acsctlJson<{ token: string }>(...args);
  const jobView = async (id: string) =>
    (await t.http().get(`/compliance/erasures/${id}`).set(bearer(compliance)).expect(200)).body as { state: string; step: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acs-sigkill-steps-'));
    srv = await SpawnedServer.over(dir);
    await start();
    const admin = cli('staff:create', '--role', 'admin', '--username', 'steps-admin');
    compliance = cli('staff:create', '--role', 'compliance', '--username', 'steps-compliance').token;
    t = { http: () => srv.http(), adminToken: admin.token, config: { databasePath: join(dir, 'acs.sqlite') } } as unknown as TestApp;
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    await kill();
  });

  afterAll(async () => {
    await srv?.kill();
    await Promise.all((readers ?? []).map((d) => d.close()));
    await dropDatabaseFor(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A customer with a contact person, one enrolled person with a card and PIN on both suite
   * readers and a short history; its service has ended.
   */
  async function customerToPurge(tag: string) {
    for (;;) {
      const libs = (await t.http().get('/reader-libraries').set(bearer(t.adminToken))).body as Array<{ state: string; pendingOps: number }>;
      if (libs.length > 0 && libs.every((l) => l.state === 'ready' && l.pendingOps === 0)) break;
      await sleep(50);
    }
    const customerId = (
      await post<{ id: string }>(t, '/customers', {
        companyName: `Killed ${tag} B.V.`,
        contractRef: `KILL-${tag}`,
        serviceStart: '2026-01-01T00:00:00Z',
        contact: { name: `Contactpersoon ${tag}-Marker`, email: `${tag.toLowerCase()}.contact@voorbeeld-klant.nl` },
      })
    ).id;
    const values = { fullName: `Nina Zwanenburg-${tag}`, email: `nina.${tag.toLowerCase()}@voorbeeld-klant.nl`, phone: `+31 6 4829${String(1000 + ++phones)}` };
    const p = await post<{ id: string }>(t, `/customers/${customerId}/people`, values);
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId, personId: p.id });
    const enrolment = await post<EnrolmentView>(t, '/enrolments', { personId: p.id, finger: 1, readerId: site.deskId });
    expect((await actAtDesk(t, readers[0].device, enrolment.id, `nina-${tag}-right-index`)).final.status).toBe('enrolled');
    for (let i = 0; i < 300 && (flashTemplates(readers[1]).size === 0 || flashTemplates(readers[2]).size === 0); i++) await sleep(50);
    expect(flashTemplates(readers[1]).size).toBe(1);
    expect(flashTemplates(readers[2]).size).toBe(1);

    const db = await openRawStore(dir);
    const [row] = await db.all<{ n: string; e: string; ph: string }>('SELECT name_ct AS n, email_ct AS e, phone_ct AS ph FROM person WHERE id = ?', [p.id]);
    const [tpl] = await db.all<{ c: string }>('SELECT template_ct AS c FROM fingerprint_template WHERE person_id = ?', [p.id]);
    await insertChainedInto(
      db,
      generateEvents({
        siteId: site.siteId,
        doors: [{ doorId: site.siteId, zoneId: site.suiteZoneId, readerId: site.suiteEntryId }],
        customers: [{ customerId, personIds: [p.id] }],
        count: EVENTS,
        startMs: Date.now() - 86_400_000,
        stepMs: 1000,
        unknownShare: 0,
      }),
      Date.now(),
    );
    const [last] = await db.all<{ seq: number | string; hash: string }>('SELECT seq, hash FROM access_event WHERE chain_id = ? ORDER BY seq DESC LIMIT 1', [
      customerId,
    ]);
    const head = { seq: Number(last.seq), hash: last.hash };
    // A card with a PIN, shaped as the credential service stores them (this server is another
    // process; the hashes only need to be unique values for the scan, not to verify).
    const card = {
      hash: randomBytes(32).toString('hex'),
      pin: `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`,
    };
    await db.run(
      `INSERT INTO card_credential (id, customer_id, person_id, number_hash, format, bit_count, hint, state, pin_hash, pin_failures, pin_set_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'wiegand', 26, '47', 'active', ?, 0, ?, ?, ?)`,
      [randomUUID(), customerId, p.id, card.hash, card.pin, Date.now(), Date.now(), Date.now()],
    );
    await db.close();

    await t
      .http()
      .patch(`/customers/${customerId}`)
      .set(bearer(t.adminToken))
      .send({ serviceEnd: new Date(Date.now() + 1000).toISOString() })
      .expect(200);
    while ((await t.http().get(`/customers/${customerId}`).set(bearer(t.adminToken))).body.status !== 'ended') await sleep(100);
    return { customerId, head, person: { plaintext: [...Object.values(values), card.hash, card.pin], ciphertexts: [row.n, row.e, row.ph, tpl.c] } };
  }

  async function waitDone(jobId: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const j = await jobView(jobId);
      if (j.state === 'done') return;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${j.state} at ${j.step}`);
      await sleep(100);
    }
  }

  /** One certificate, its hash verified (server and recomputed here), complete and clean; every flash and file free of the person. */
  async function checkCertified(
    customerId: string,
    jobId: string,
    head: { seq: number; hash: string },
    person: { plaintext: string[]; ciphertexts: string[] },
  ) {
    const certs = await t.http().get(`/compliance/certificates?customerId=${customerId}`).set(bearer(compliance)).expect(200);
    expect(certs.body).toHaveLength(1);
    const cert = await t.http().get(`/compliance/certificates/${certs.body[0].id}`).set(bearer(compliance)).expect(200);
    expect(cert.headers['x-certificate-valid']).toBe('true');
    const { hash, ...rest } = cert.body as Record<string, unknown>;
    expect(certificateHash(rest)).toBe(hash);
    expect(cert.body).toMatchObject({
      jobId,
      customerId,
      complete: true,
      history: { mode: 'delete', events: EVENTS, erasedHeadSeq: head.seq, erasedHeadHash: head.hash },
      dataKey: { destroyed: true },
      physical: { clean: true, values: { keyPrefix: true } },
    });
    const readerRows = cert.body.readers as Array<{ readerId: string; confirmedAt: string | null }>;
    expect(readerRows.map((r) => r.readerId).sort()).toEqual([site.suiteEntryId, site.suiteExitId].sort());
    expect(readerRows.every((r) => r.confirmedAt !== null)).toBe(true);
    for (const d of readers) expect(flashTemplates(d).size).toBe(0);
    expect(await scanDatabase(t, person)).toEqual({ plaintext: 0, ciphertext: 0 });
    return cert.body as { counts: Record<string, number> };
  }

  it('uninterrupted purge (the reference for the counts)', async () => {
    await start();
    const { customerId, head, person } = await customerToPurge('BASE');
    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    await waitDone(started.body.id);
    baseline = await checkCertified(customerId, started.body.id, head, person);
    expect(baseline.counts).toEqual({
      templateRows: 1,
      tokensRevoked: 0,
      readerSlots: 2,
      readers: 2,
      cards: 1,
      pins: 1,
      personGrants: 1,
      people: 1,
      contactPerson: 1,
      customerAdmins: 0,
      notificationAddresses: 0,
      visitorRecords: 0,
    });
    await kill();
  });

  it.each(STEPS)('SIGKILL before %s: after a restart the purge completes and the certificate is correct', async (step) => {
    expect(baseline).toBeDefined();
    await start(step);
    const tag = step.replace('_', '').toUpperCase();
    const { customerId, head, person } = await customerToPurge(tag);
    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const jobId = started.body.id as string;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const j = await jobView(jobId);
      expect(j.state).not.toBe('done');
      if (j.step === step && j.state === 'running') break;
      if (Date.now() > deadline) throw new Error(`job never reached ${step}: ${j.state} at ${j.step}`);
      await sleep(20);
    }
    await sleep(300);
    expect(await jobView(jobId)).toMatchObject({ state: 'running', step });

    await kill();
    await start();
    await waitDone(jobId);
    const cert = await checkCertified(customerId, jobId, head, person);
    expect(cert.counts).toEqual(baseline!.counts);
    await kill();
  });

  // The race CI met once: after a restart the fleet re-plans the ended customer and cleans the
  // readers on its own. Made certain here: the restarted server holds the job before its readers
  // step until the fleet has emptied both suite readers. The certificate must still name both
  // (the job wrote its holders down when it was created) and count what the reference counts.
  it('the fleet cleans the readers while the job waits before its readers step: the certificate still names both', async () => {
    expect(baseline).toBeDefined();
    await start('readers');
    const { customerId, head, person } = await customerToPurge('FLEET');
    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const jobId = started.body.id as string;
    await kill();
    await start('readers');
    for (let i = 0; i < 600 && (flashTemplates(readers[1]).size > 0 || flashTemplates(readers[2]).size > 0); i++) await sleep(50);
    expect([flashTemplates(readers[1]).size, flashTemplates(readers[2]).size]).toEqual([0, 0]);
    expect(await jobView(jobId)).toMatchObject({ state: 'running', step: 'readers' });
    await kill();
    await start();
    await waitDone(jobId);
    const cert = await checkCertified(customerId, jobId, head, person);
    expect(cert.counts).toEqual(baseline!.counts);
    await kill();
  });
});
