import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AccessLogService } from '@acs/access-log';
import type { ErasureService } from '@acs/compliance';
import { bearer, buildSite, post, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { erasure } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';

jest.setTimeout(60_000);

const DAY = 86_400_000;

/**
 * Issue 15, part 5: loose ends on the purge and data-subject path, each seen failing on the code
 * before the fix. The server runs with HISTORY_RETENTION=pseudonymise, the policy the retention
 * status used to misreport.
 */
describe('purge and data-subject loose ends', () => {
  let t: TestApp;
  let site: SiteFixture;
  let eraser: ErasureService;
  let compliance: string;
  let auditor: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false', HISTORY_RETENTION: 'pseudonymise', HISTORY_KEEP_DAYS: '30' } });
    site = await buildSite(t);
    eraser = erasure(t);
    compliance = await t.tokenFor('compliance');
    auditor = await t.tokenFor('auditor');
  });

  afterAll(async () => {
    await t?.close();
  });

  const customer = (tag: string) =>
    post<{ id: string }>(t, '/customers', { companyName: `Loose ${tag} B.V.`, contractRef: `LOOSE-${tag}`, serviceStart: '2026-01-01T00:00:00Z' });
  const person = (customerId: string, phone: string) =>
    post<{ id: string }>(t, `/customers/${customerId}/people`, { fullName: 'Hendrika Losse-Eindjes', email: 'h.losse@voorbeeld-klant.nl', phone });
  const badge = async (customerId: string, personId: string, n: number) => {
    const receipts = t.app.get(AccessLogService).append(
      Array.from({ length: n }, (_, i) => ({
        customerId,
        personId,
        siteId: site.siteId,
        zoneId: site.suiteZoneId,
        doorId: site.suiteDoorId,
        readerId: site.entryReaderId,
        direction: 'entry' as const,
        result: 'granted' as const,
        reason: 'granted',
        occurredAt: t.clock.nowMs() - (n - i) * 1000,
      })),
    );
    await Promise.all(receipts.map((r) => r.durable));
  };
  const openCase = (personId: string, kind: string) =>
    post<{ id: string }>(
      t,
      '/compliance/requests',
      { kind, personId, receivedAt: new Date(t.clock.nowMs() - DAY).toISOString(), identityMethod: 'id_document_checked' },
      compliance,
    );

  /** A customer with one person and a few events, its service ended (serviceEnd returned), not yet purged. */
  async function endedCustomer(tag: string) {
    const c = await customer(tag);
    const p = await person(c.id, '+31 6 48209999');
    await badge(c.id, p.id, 5);
    const serviceEnd = t.clock.nowMs() + 60_000;
    await t
      .http()
      .patch(`/customers/${c.id}`)
      .set(bearer(t.adminToken))
      .send({ serviceEnd: new Date(serviceEnd).toISOString() })
      .expect(200);
    t.clock.advance(120_000);
    return { customerId: c.id, serviceEnd };
  }
  const purge = async (customerId: string) => {
    const job = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    await waitForErasure(eraser, job.body.id as string);
  };

  it("a purge revokes the customer's self-service tokens (/auth/me answers 401) and the certificate counts them", async () => {
    const c = await customer('TOKENS');
    const token = (await post<{ token: string }>(t, `/customers/${c.id}/tokens`, { label: 'portal' })).token;
    await t.http().get('/auth/me').set(bearer(token)).expect(200);
    await t
      .http()
      .patch(`/customers/${c.id}`)
      .set(bearer(t.adminToken))
      .send({ serviceEnd: new Date(t.clock.nowMs() + 60_000).toISOString() })
      .expect(200);
    t.clock.advance(120_000);
    await purge(c.id);
    const me = await t.http().get('/auth/me').set(bearer(token));
    expect(me.status).toBe(401);
    const [cert] = await eraser.certificates({ customerId: c.id });
    expect((await eraser.certificate(cert.id)).body).toMatchObject({ counts: { tokensRevoked: 1 } });
  });

  it("a purge erases the customer's administrator accounts (their usernames can name people), and the certificate counts them", async () => {
    const c = await customer('ADMINS');
    const username = `erase-me-admin-${c.id.slice(-6)}`;
    const created = await post<{ id: string; passwordReset: { resetToken: string } }>(t, `/customers/${c.id}/admins`, { username });
    await t.http().post('/auth/password-reset').send({ token: created.passwordReset.resetToken, newPassword: 'violet staple orbit canyon' }).expect(200);
    const signedIn = await t.http().post('/auth/sign-in').send({ username, password: 'violet staple orbit canyon' }).expect(200);
    const cookie = ([] as string[])
      .concat(signedIn.headers['set-cookie'] ?? [])
      .find((h) => h.startsWith('acs_session='))!
      .split(';')[0];
    // The administrator's notification address is theirs too: erased and counted with the account.
    await t
      .http()
      .put(`/customers/${c.id}/notification-settings`)
      .set('Cookie', cookie)
      .set('X-CSRF-Token', signedIn.body.csrfToken as string)
      .send({ email: 'erase-me@customer.example', kinds: ['request_decided'] })
      .expect(200);
    await t
      .http()
      .patch(`/customers/${c.id}`)
      .set(bearer(t.adminToken))
      .send({ serviceEnd: new Date(t.clock.nowMs() + 60_000).toISOString() })
      .expect(200);
    t.clock.advance(120_000);
    await purge(c.id);
    const staff = await t.http().get('/staff').query({ limit: 200 }).set(bearer(t.adminToken)).expect(200);
    expect(JSON.stringify(staff.body)).not.toContain(username);
    expect(JSON.stringify(staff.body)).not.toContain(created.id);
    // Its session went with the account, and the username signs nobody in any more.
    expect((await t.http().get('/auth/session').set('Cookie', cookie)).status).toBe(401);
    expect((await t.http().post('/auth/sign-in').send({ username, password: 'violet staple orbit canyon' })).status).toBe(401);
    const [cert] = await eraser.certificates({ customerId: c.id });
    expect((await eraser.certificate(cert.id)).body).toMatchObject({ counts: { customerAdmins: 1, notificationAddresses: 1 } });
  });

  it('the retention status reports the configured pseudonymise policy with its keep-until date, before and after the purge', async () => {
    const { customerId, serviceEnd } = await endedCustomer('RETAIN');
    const due = await t.http().get(`/customers/${customerId}/access-events/retention`).set(bearer(auditor)).expect(200);
    expect(due.body).toMatchObject({
      policy: { mode: 'pseudonymise', keepDays: 30, graceDays: 0, source: 'configuration' },
      appliesAt: new Date(serviceEnd).toISOString(),
      keepUntil: new Date(serviceEnd + 30 * DAY).toISOString(),
      state: 'due',
    });
    await purge(customerId);
    const after = await t.http().get(`/customers/${customerId}/access-events/retention`).set(bearer(auditor)).expect(200);
    expect(after.body).toMatchObject({ keepUntil: new Date(serviceEnd + 30 * DAY).toISOString(), state: 'pseudonymised', events: 5 });
  });

  it('a person erasure answering a case closes the case with the certificate', async () => {
    const c = await customer('CASE');
    const p = await person(c.id, '+31 6 48208888');
    const kase = await openCase(p.id, 'erasure');
    const job = await t.http().post(`/compliance/people/${p.id}/erase`).set(bearer(compliance)).send({ caseId: kase.id }).expect(202);
    await waitForErasure(eraser, job.body.id as string);
    const [cert] = await eraser.certificates({ customerId: c.id });
    const closed = await t.http().get(`/compliance/requests/${kase.id}`).set(bearer(compliance)).expect(200);
    expect(closed.body).toMatchObject({ status: 'completed', outcome: `erasure certified: certificate ${cert.id}` });
    expect(closed.body.closedAt).not.toBeNull();
  });

  it('export?caseId= names the case in the export and links the two in the audit trail; a case of another person is refused', async () => {
    const c = await customer('LINK');
    const p = await person(c.id, '+31 6 48206666');
    const kase = await openCase(p.id, 'access');
    const json = await t.http().get(`/compliance/people/${p.id}/export`).query({ caseId: kase.id }).set(bearer(compliance));
    expect(json.status).toBe(200);
    expect(json.body.answersRequest).toMatchObject({ caseId: kase.id, kind: 'access' });
    const audit = await t.http().get('/audit').query({ action: 'compliance.request.answered', targetId: kase.id }).set(bearer(auditor)).expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ targetType: 'dsr_case', targetId: kase.id, outcome: 'success' });
    const other = await person(c.id, '+31 6 48207777');
    const wrong = await t.http().get(`/compliance/people/${other.id}/export`).query({ caseId: kase.id }).set(bearer(compliance));
    expect({ status: wrong.status, code: wrong.body.code }).toEqual({ status: 409, code: 'compliance.case_other_person' });
  });

  it("the data-subject CSV export keeps values exact ('+44 ...' stays '+44 ...')", async () => {
    const c = await customer('CSV');
    const phone = '+44 20 7946 0000';
    const p = await person(c.id, phone);
    const csv = await t.http().get(`/compliance/people/${p.id}/export`).query({ format: 'csv' }).set(bearer(compliance)).expect(200);
    expect(csv.text).toContain(`person,,phone,${phone}\n`);
    expect(csv.text).not.toContain(`'${phone}`);
  });

  it('the access history of a data-subject export names sites, zones and doors', async () => {
    const c = await customer('NAMES');
    const p = await person(c.id, '+31 6 48205555');
    await badge(c.id, p.id, 2);
    const json = await t.http().get(`/compliance/people/${p.id}/export`).set(bearer(compliance)).expect(200);
    expect(json.body.accessHistory).toHaveLength(2);
    expect(json.body.accessHistory[0]).toMatchObject({
      siteId: site.siteId,
      siteName: expect.stringMatching(/^AMS-\d+$/),
      zoneId: site.suiteZoneId,
      zoneName: expect.stringMatching(/^Suite \d+$/),
      doorId: site.suiteDoorId,
      doorName: expect.stringMatching(/^Suite \d+ door$/),
    });
    const csv = await t.http().get(`/compliance/people/${p.id}/export`).query({ format: 'csv' }).set(bearer(compliance)).expect(200);
    expect(csv.text).toMatch(/accessHistory,0,doorName,Suite \d+ door/);
  });
});
