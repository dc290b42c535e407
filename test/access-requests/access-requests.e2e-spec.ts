import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';
const MISSING = '3f0c7c39-2a4f-4c39-9a59-00000000dead';

interface View {
  id: string;
  status: string;
  kind: string;
  personId: string | null;
  fullName: string | null;
  email: string | null;
  reason: string | null;
  preApproved: boolean;
  grantId: string | null;
  revokedGrants: number | null;
  enrolment: string | null;
  requestedBy: string | null;
  decidedBy: string | null;
  validFrom: string | null;
  validUntil: string | null;
}

/**
 * The customer portal's access requests: a customer files (add a person, give access for a
 * period, end access), the datacenter's staff approve or refuse with a reason, approval applies
 * through the registry, removals and pre-approved levels apply at once, and a customer reaches
 * nothing of another customer through any of these routes.
 */
describe('access requests', () => {
  let t: TestApp;
  let site: SiteFixture;
  let a: { id: string };
  let b: { id: string };
  let personOfA: { id: string };
  let personOfB: { id: string };
  let tokenA: string;
  let tokenB: string;
  let security: string;
  let auditor: string;
  let requestOfB: View;

  const file = (customerId: string, token: string, body: object) => t.http().post(`/customers/${customerId}/access-requests`).set(bearer(token)).send(body);
  const decide = (id: string, verb: 'approve' | 'refuse', body: object = {}, token = security) =>
    t.http().post(`/access-requests/${id}/${verb}`).set(bearer(token)).send(body);
  const grantsOf = async (customerId: string, personId: string) =>
    (await t.http().get('/grants').query({ customerId, personId }).set(bearer(t.adminToken)).expect(200)).body.items as Array<{
      id: string;
      accessLevelId: string;
      validFrom: string | null;
      validUntil: string | null;
    }>;

  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
    a = await createCustomer(t);
    b = await createCustomer(t, { contact: { name: 'Contact of B' } });
    personOfA = await createPerson(t, a.id, { fullName: 'Person of A' });
    personOfB = await createPerson(t, b.id, { fullName: 'Person of B' });
    // A holds the suite for everyone; B holds the cage.
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: a.id });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: b.id });
    tokenA = (await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal A' })).token;
    tokenB = (await post<{ token: string }>(t, `/customers/${b.id}/tokens`, { label: 'portal B' })).token;
    security = await t.tokenFor('security');
    auditor = await t.tokenFor('auditor');
    requestOfB = (await file(b.id, tokenB, { kind: 'add_person', fullName: 'Newcomer of B' }).expect(201)).body as View;
  });
  afterAll(() => t.close());

  it('lists what the customer may request: levels its grants name', async () => {
    const res = await t.http().get(`/customers/${a.id}/requestable-access-levels`).set(bearer(tokenA)).expect(200);
    expect(res.body).toEqual([expect.objectContaining({ id: site.suiteLevelId, preApproved: false, zoneIds: [site.suiteZoneId] })]);
  });

  it('adds a new person with access after staff approve, and invites them to enrolment', async () => {
    const filed = await file(a.id, tokenA, {
      kind: 'add_person',
      fullName: 'Ada Newcomer',
      email: 'ada@example.com',
      accessLevelId: site.suiteLevelId,
      validFrom: '2026-12-01T00:00:00Z',
      validUntil: '2027-01-01T00:00:00Z',
    }).expect(201);
    expect(filed.body).toMatchObject({ status: 'pending', kind: 'add_person', fullName: 'Ada Newcomer', personId: null, enrolment: null });
    const count = await t.http().get('/access-requests/pending-count').set(bearer(security)).expect(200);
    expect(count.body.pending).toBeGreaterThanOrEqual(2);
    const queue = await t.http().get('/access-requests').query({ status: 'pending' }).set(bearer(security)).expect(200);
    expect(queue.body.items.map((r: View) => r.id)).toEqual(expect.arrayContaining([filed.body.id, requestOfB.id]));

    const approved = (await decide(filed.body.id, 'approve').expect(200)).body as View;
    expect(approved).toMatchObject({ status: 'approved', enrolment: 'invited', fullName: null, email: null, preApproved: false });
    expect(approved.personId).not.toBeNull();
    const person = await t.http().get(`/customers/${a.id}/people/${approved.personId}`).set(bearer(tokenA)).expect(200);
    expect(person.body).toMatchObject({ fullName: 'Ada Newcomer', email: 'ada@example.com' });
    expect(await grantsOf(a.id, approved.personId!)).toEqual([
      expect.objectContaining({
        id: approved.grantId,
        accessLevelId: site.suiteLevelId,
        validFrom: '2026-12-01T00:00:00.000Z',
        validUntil: '2027-01-01T00:00:00.000Z',
      }),
    ]);
    // The customer sees the decision; a second decision is refused.
    const seen = await t.http().get(`/customers/${a.id}/access-requests/${filed.body.id}`).set(bearer(tokenA)).expect(200);
    expect(seen.body.status).toBe('approved');
    expect((await decide(filed.body.id, 'refuse', { reason: 'too late' }).expect(409)).body.code).toBe('access_request.not_pending');
    expect((await decide(filed.body.id, 'approve').expect(409)).body.code).toBe('access_request.not_pending');
  });

  it('refuses with a reason the customer sees, and applies nothing', async () => {
    const filed = await file(a.id, tokenA, {
      kind: 'grant',
      personId: personOfA.id,
      accessLevelId: site.suiteLevelId,
      validUntil: '2027-06-01T00:00:00Z',
    }).expect(201);
    expect(filed.body).toMatchObject({ status: 'pending', validUntil: '2027-06-01T00:00:00.000Z' });
    expect((await decide(filed.body.id, 'refuse', {}).expect(400)).body.code).toBe('validation.failed');
    const refused = (await decide(filed.body.id, 'refuse', { reason: 'Ask your contract owner first' }).expect(200)).body as View;
    expect(refused).toMatchObject({ status: 'refused', reason: 'Ask your contract owner first', grantId: null, enrolment: null });
    const mine = await t.http().get(`/customers/${a.id}/access-requests`).set(bearer(tokenA)).expect(200);
    expect(mine.body.items.find((r: View) => r.id === filed.body.id)).toMatchObject({ status: 'refused', reason: 'Ask your contract owner first' });
    expect(await grantsOf(a.id, personOfA.id)).toEqual([]);
    expect((await decide(filed.body.id, 'approve').expect(409)).body.code).toBe('access_request.not_pending');
  });

  it('applies a grant request at once within the levels staff pre-approved', async () => {
    // The cage is not A's: not requestable until staff pre-approve it for A.
    const before = await file(a.id, tokenA, { kind: 'grant', personId: personOfA.id, accessLevelId: site.cageLevelId });
    expect(before.status).toBe(404);
    expect(before.body.code).toBe('access_level.not_found');
    expect(
      (
        await t
          .http()
          .put(`/customers/${a.id}/pre-approved-access-levels`)
          .set(bearer(tokenA))
          .send({ accessLevelIds: [site.cageLevelId] })
          .expect(403)
      ).body.code,
    ).toBe('auth.forbidden');
    const missing = await t
      .http()
      .put(`/customers/${a.id}/pre-approved-access-levels`)
      .set(bearer(security))
      .send({ accessLevelIds: [MISSING] })
      .expect(404);
    expect(missing.body.code).toBe('access_level.not_found');
    const set = await t
      .http()
      .put(`/customers/${a.id}/pre-approved-access-levels`)
      .set(bearer(security))
      .send({ accessLevelIds: [site.cageLevelId] })
      .expect(200);
    expect(set.body).toEqual({ customerId: a.id, accessLevelIds: [site.cageLevelId] });
    const levels = await t.http().get(`/customers/${a.id}/requestable-access-levels`).set(bearer(tokenA)).expect(200);
    expect(levels.body.map((l: { id: string; preApproved: boolean }) => [l.id, l.preApproved]).sort()).toEqual(
      [
        [site.suiteLevelId, false],
        [site.cageLevelId, true],
      ].sort(),
    );

    const filed = (await file(a.id, tokenA, { kind: 'grant', personId: personOfA.id, accessLevelId: site.cageLevelId }).expect(201)).body as View;
    expect(filed).toMatchObject({ status: 'approved', preApproved: true, decidedBy: null, enrolment: 'invited' });
    expect(await grantsOf(a.id, personOfA.id)).toEqual([expect.objectContaining({ id: filed.grantId, accessLevelId: site.cageLevelId })]);
    // Not pre-approved for B.
    expect((await file(b.id, tokenB, { kind: 'grant', personId: personOfB.id, accessLevelId: site.cageLevelId }).expect(201)).body.status).toBe('pending');
  });

  it('ends access at once, without approval', async () => {
    const person = await createPerson(t, a.id);
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: a.id, personId: person.id });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: a.id, personId: person.id });
    const one = (await file(a.id, tokenA, { kind: 'remove', personId: person.id, accessLevelId: site.cageLevelId }).expect(201)).body as View;
    expect(one).toMatchObject({ status: 'applied', revokedGrants: 1, enrolment: null });
    expect((await grantsOf(a.id, person.id)).map((g) => g.accessLevelId)).toEqual([site.suiteLevelId]);
    const all = (await file(a.id, tokenA, { kind: 'remove', personId: person.id }).expect(201)).body as View;
    expect(all).toMatchObject({ status: 'applied', revokedGrants: 1 });
    expect(await grantsOf(a.id, person.id)).toEqual([]);
    const again = await file(a.id, tokenA, { kind: 'remove', personId: person.id }).expect(409);
    expect(again.body.code).toBe('access_request.nothing_to_remove');
    expect((await decide(all.id, 'approve').expect(409)).body.code).toBe('access_request.not_pending');
  });

  it.each([
    ['a grant without a level', { kind: 'grant', personId: MISSING }, 400, 'validation.failed'],
    ['a new person without a name', { kind: 'add_person' }, 400, 'validation.failed'],
    ['an unknown kind', { kind: 'promote', personId: MISSING }, 400, 'validation.failed'],
    [
      'a period ending before it starts',
      { kind: 'add_person', fullName: 'X', validFrom: '2027-01-02T00:00:00Z', validUntil: '2027-01-01T00:00:00Z' },
      400,
      'access_request.bad_period',
    ],
    ['an unknown person', { kind: 'remove', personId: MISSING }, 404, 'person.not_found'],
  ])('refuses %s', async (_what, body, status, code) => {
    const res = await file(a.id, tokenA, body).expect(status);
    expect(res.body.code).toBe(code);
  });

  describe('isolation: a customer reaches nothing of another customer', () => {
    it.each([
      ['GET', (): string => `/customers/${b.id}/access-requests`, 403, 'auth.forbidden'],
      ['GET', (): string => `/customers/${b.id}/access-requests/${requestOfB.id}`, 403, 'auth.forbidden'],
      ['GET', (): string => `/customers/${a.id}/access-requests/${requestOfB.id}`, 404, 'access_request.not_found'],
      ['GET', (): string => `/customers/${b.id}/requestable-access-levels`, 403, 'auth.forbidden'],
      ['GET', (): string => `/customers/${b.id}/pre-approved-access-levels`, 403, 'auth.forbidden'],
      ['GET', (): string => '/access-requests', 403, 'auth.forbidden'],
      ['GET', (): string => '/access-requests/pending-count', 403, 'auth.forbidden'],
      ['POST', (): string => `/customers/${b.id}/access-requests`, 403, 'auth.forbidden'],
      ['POST', (): string => `/access-requests/${requestOfB.id}/approve`, 403, 'auth.forbidden'],
      ['POST', (): string => `/access-requests/${requestOfB.id}/refuse`, 403, 'auth.forbidden'],
      ['PUT', (): string => `/customers/${b.id}/pre-approved-access-levels`, 403, 'auth.forbidden'],
    ])('%s %s', async (method, path, status, code) => {
      const req = method === 'GET' ? t.http().get(path()) : method === 'PUT' ? t.http().put(path()) : t.http().post(path());
      const res = await req.set(bearer(tokenA)).send(method === 'PUT' ? { accessLevelIds: [] } : { kind: 'add_person', fullName: 'Sneaky', reason: 'x' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(JSON.stringify(res.body)).not.toContain('Newcomer of B');
    });

    it("files nothing about another customer's person or level under its own id", async () => {
      const person = await file(a.id, tokenA, { kind: 'grant', personId: personOfB.id, accessLevelId: site.suiteLevelId }).expect(404);
      expect(person.body.code).toBe('person.not_found');
      const removal = await file(a.id, tokenA, { kind: 'remove', personId: personOfB.id }).expect(404);
      expect(removal.body.code).toBe('person.not_found');
      const pending = await t.http().get(`/customers/${b.id}/access-requests`).set(bearer(tokenB)).expect(200);
      expect(pending.body.items.every((r: View) => r.status === 'pending')).toBe(true);
      expect(await grantsOf(b.id, personOfB.id)).toEqual([]);
    });

    it('refuses an auditor the decisions', async () => {
      expect((await decide(requestOfB.id, 'approve', {}, auditor).expect(403)).body.code).toBe('auth.forbidden');
      await t.http().get('/access-requests').set(bearer(auditor)).expect(200);
    });
  });

  it("a customer administrator's filing names its account; the audit trail holds ids only", async () => {
    const created = await t.http().post(`/customers/${a.id}/admins`).set(bearer(t.adminToken)).send({ username: 'portal-admin-a' }).expect(201);
    await t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    const signIn: Response = await t.http().post('/auth/sign-in').send({ username: 'portal-admin-a', password: PASSWORD }).expect(200);
    const cookie = ([] as string[])
      .concat(signIn.headers['set-cookie'] ?? [])
      .find((h) => h.startsWith('acs_session='))!
      .split(';')[0];
    const csrf = signIn.body.csrfToken as string;
    const noCsrf = await t.http().post(`/customers/${a.id}/access-requests`).set('Cookie', cookie).send({ kind: 'add_person', fullName: 'Grace Hopper' });
    expect(noCsrf.body.code).toBe('auth.csrf_failed');
    const filed = await t
      .http()
      .post(`/customers/${a.id}/access-requests`)
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .send({ kind: 'add_person', fullName: 'Grace Hopper', email: 'grace@example.com' })
      .expect(201);
    expect(filed.body.requestedBy).toBe(created.body.id);
    expect(
      (await t.http().post(`/customers/${b.id}/access-requests`).set('Cookie', cookie).set('X-CSRF-Token', csrf).send({ kind: 'add_person', fullName: 'X' }))
        .status,
    ).toBe(403);
    const refused = await decide(filed.body.id, 'refuse', { reason: 'Duplicate of an existing person' }).expect(200);
    const audit = await t.http().get('/audit').query({ targetId: filed.body.id }).set(bearer(auditor)).expect(200);
    expect(audit.body.items.map((e: { action: string; actorType: string }) => [e.action, e.actorType]).sort()).toEqual(
      [
        ['access_request.file', 'customer_admin'],
        ['access_request.refuse', 'staff'],
      ].sort(),
    );
    const text = JSON.stringify(audit.body);
    for (const secret of ['Grace', 'grace@example.com', 'Duplicate of an existing person']) expect(text).not.toContain(secret);
    expect(refused.body.decidedBy).not.toBeNull();
  });
});
