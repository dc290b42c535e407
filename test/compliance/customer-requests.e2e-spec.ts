import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { leaks, PERSON } from '../support/personal-data.js';
import { bearer, createCustomer, createPerson, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';

/**
 * Data-subject requests filed through the customer portal: a customer administrator files one on
 * behalf of one of the customer's people, compliance sees it as a case due one month after
 * receipt (GDPR Art. 12(3)), and nobody files for another customer's person.
 */
describe('data-subject requests filed by a customer', () => {
  let t: TestApp;
  let a: { id: string };
  let b: { id: string };
  let personOfA: { id: string };
  let personOfB: { id: string };
  let compliance: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    a = await createCustomer(t);
    b = await createCustomer(t);
    personOfA = await createPerson(t, a.id, { fullName: PERSON.fullName, email: PERSON.email });
    personOfB = await createPerson(t, b.id);
    compliance = await t.tokenFor('compliance');
    const created = await post<{ id: string; passwordReset: { resetToken: string } }>(t, `/customers/${a.id}/admins`, { username: 'dsr-admin-a' });
    await t.http().post('/auth/password-reset').send({ token: created.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    const res: Response = await t.http().post('/auth/sign-in').send({ username: 'dsr-admin-a', password: PASSWORD }).expect(200);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((h) => h.startsWith('acs_session='))!
      .split(';')[0]!;
    headers = { Cookie: cookie, 'X-CSRF-Token': res.body.csrfToken as string };
  });
  afterAll(() => t.close());

  const file = (customerId: string, body: object) => t.http().post(`/customers/${customerId}/data-subject-requests`).set(headers).send(body);

  it('files a case with its one-month deadline that the compliance page lists, audited with ids only', async () => {
    const filed = await file(a.id, { kind: 'erasure', personId: personOfA.id, receivedAt: '2026-11-20T10:00:00Z' }).expect(201);
    expect(filed.body).toMatchObject({
      kind: 'erasure',
      personId: personOfA.id,
      customerId: a.id,
      status: 'open',
      identityMethod: 'customer_confirmed',
      receivedAt: '2026-11-20T10:00:00.000Z',
      dueAt: '2026-12-20T10:00:00.000Z',
      filedBy: 'customer',
      overdue: false,
    });
    expect(filed.body.identityCheckedBy).toMatch(/^customer_admin:/);
    const cases = await t.http().get('/compliance/requests').set(bearer(compliance)).expect(200);
    expect(cases.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: filed.body.id, filedBy: 'customer', dueAt: '2026-12-20T10:00:00.000Z' })]),
    );
    const own = await t.http().get(`/customers/${a.id}/data-subject-requests`).set(headers).expect(200);
    expect(own.body.map((c: { id: string }) => c.id)).toEqual([filed.body.id]);
    const audit = await t.http().get('/audit').query({ targetId: filed.body.id }).set(bearer(compliance)).expect(200);
    expect(audit.body.items.map((e: { action: string; actorType: string }) => [e.action, e.actorType])).toEqual([
      ['compliance.request.file', 'customer_admin'],
    ]);
    expect(leaks(JSON.stringify(audit.body))).toEqual([]);
  });

  it('received now when no date is given; a date in the future is refused', async () => {
    const filed = await file(a.id, { kind: 'access', personId: personOfA.id }).expect(201);
    expect(filed.body.receivedAt).toBe(new Date(t.clock.nowMs()).toISOString());
    expect(filed.body.dueAt).toBe('2026-12-26T09:00:00.000Z');
    expect((await file(a.id, { kind: 'access', personId: personOfA.id, receivedAt: '2027-01-01T00:00:00Z' }).expect(400)).body.code).toBe(
      'compliance.bad_received_date',
    );
    expect((await file(a.id, { kind: 'gossip', personId: personOfA.id }).expect(400)).body.code).toBe('validation.failed');
  });

  it("an administrator of A cannot file for B's person, nor read B's cases", async () => {
    expect((await file(a.id, { kind: 'erasure', personId: personOfB.id }).expect(404)).body.code).toBe('person.not_found');
    expect((await file(b.id, { kind: 'erasure', personId: personOfB.id }).expect(403)).body.code).toBe('auth.forbidden');
    expect((await t.http().get(`/customers/${b.id}/data-subject-requests`).set(headers).expect(403)).body.code).toBe('auth.forbidden');
    const ofB = await t.http().get('/compliance/requests').query({ personId: personOfB.id }).set(bearer(compliance)).expect(200);
    expect(ofB.body).toEqual([]);
  });
});
