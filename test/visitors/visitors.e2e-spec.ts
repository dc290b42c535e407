import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErasureService } from '@acs/compliance';
import { VisitorService } from '@acs/visitors';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitForErasure } from '../support/wait-for-erasure.js';

const MISSING = '3f0c7c39-2a4f-4c39-9a59-00000000dead';
const H = 3_600_000;
const DAY = 24 * H;

interface Visitor {
  id: string;
  customerId: string;
  status: string;
  fullName: string | null;
  company: string | null;
  email: string | null;
  hostPersonId: string;
  visitDate: string;
  windowEnd: string;
  escortRequired: boolean | null;
  idCheckedAt: string | null;
  idCheckedBy: string | null;
  checkedInAt: string | null;
  checkedOutAt: string | null;
  checkedOutBy: string | null;
  grantId: string | null;
  erasedAt: string | null;
  erasureJobId: string | null;
}

/**
 * Visitors (issue 20) over HTTP: a customer registers a visit, the desk checks the ID and checks
 * the visitor in (a visitor person escorted by the host, a grant ending with the window), checks
 * them out, the window's end closes visits nobody closed, and the retention period erases a
 * visit's data with a certificate (fake clock). A customer reaches nothing of another customer.
 */
describe('visitors', () => {
  let t: TestApp;
  let site: SiteFixture;
  let a: { id: string };
  let b: { id: string };
  let hostA: { id: string };
  let hostB: { id: string };
  let tokenA: string;
  let tokenB: string;
  let security: string;
  let auditor: string;
  let visitOfB: Visitor;

  const at = (ms: number) => new Date(t.clock.nowMs() + ms).toISOString();
  const register = (customerId: string, token: string, body: object) => t.http().post(`/customers/${customerId}/visitors`).set(bearer(token)).send(body);
  const visit = (hostPersonId: string, extra: object = {}) => ({
    fullName: 'Eva Jansen',
    company: 'Example Networks B.V.',
    email: 'eva@example.com',
    hostPersonId,
    accessLevelId: site.suiteLevelId,
    windowStart: at(0),
    windowEnd: at(4 * H),
    ...extra,
  });
  const checkIn = (id: string, body: object = { idChecked: true }, token = security) => t.http().post(`/visitors/${id}/check-in`).set(bearer(token)).send(body);

  beforeAll(async () => {
    t = await startTestApp({ env: { VISITOR_RETENTION_DAYS: '7', VISITOR_SWEEP_INTERVAL_S: '3600' } });
    t.app.get(ErasureService).pollMs = 100;
    site = await buildSite(t);
    a = await createCustomer(t);
    b = await createCustomer(t);
    hostA = await createPerson(t, a.id, { fullName: 'Host of A' });
    hostB = await createPerson(t, b.id, { fullName: 'Host of B' });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: a.id });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: b.id });
    tokenA = (await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal A' })).token;
    tokenB = (await post<{ token: string }>(t, `/customers/${b.id}/tokens`, { label: 'portal B' })).token;
    security = await t.tokenFor('security');
    auditor = await t.tokenFor('auditor');
    visitOfB = (await register(b.id, tokenB, { ...visit(hostB.id), fullName: 'Visitor of B', accessLevelId: site.cageLevelId }).expect(201)).body as Visitor;
  });
  afterAll(() => t.close());

  it('registers a visitor, checks the ID at the desk, gives escorted access until the window ends, and checks out', async () => {
    const created = (await register(a.id, tokenA, visit(hostA.id)).expect(201)).body as Visitor;
    expect(created).toMatchObject({
      status: 'expected',
      fullName: 'Eva Jansen',
      company: 'Example Networks B.V.',
      email: 'eva@example.com',
      visitDate: '2026-11-26',
    });
    const mine = (await t.http().get(`/customers/${a.id}/visitors`).set(bearer(tokenA)).expect(200)).body as Visitor[];
    expect(mine.map((v) => v.id)).toEqual([created.id]);

    const today = (await t.http().get('/visitors/today').set(bearer(security)).expect(200)).body as Visitor[];
    expect(today.map((v) => v.id).sort()).toEqual([created.id, visitOfB.id].sort());
    expect((await t.http().get('/visitors/today/count').set(bearer(security)).expect(200)).body).toEqual({ expected: 2, checkedIn: 0 });

    // The desk must say the ID document was checked; nothing about the document is accepted or kept.
    expect((await checkIn(created.id, { idChecked: false }).expect(400)).body.code).toBe('visitor.id_not_checked');
    expect((await checkIn(created.id, {}).expect(400)).body.code).toBe('validation.failed');
    const copy = await checkIn(created.id, { idChecked: true, documentNumber: 'NX1234567' }).expect(400);
    expect(copy.body.code).toBe('validation.failed');
    expect(JSON.stringify(copy.body)).not.toContain('NX1234567');
    const inside = (await checkIn(created.id).expect(200)).body as Visitor;
    expect(inside).toMatchObject({ status: 'checked_in', escortRequired: true, checkedInAt: at(0), idCheckedAt: at(0) });
    expect(inside.idCheckedBy).not.toBeNull();
    expect((await checkIn(created.id).expect(409)).body.code).toBe('visitor.not_expected');

    // The registry: a visitor person escorted by the host, valid until the window's end, and its grant.
    const person = (await t.http().get(`/customers/${a.id}/people/${created.id}`).set(bearer(t.adminToken)).expect(200)).body;
    expect(person).toMatchObject({ kind: 'visitor', escortPersonId: hostA.id, validUntil: created.windowEnd, fullName: 'Eva Jansen' });
    const grant = (await t.http().get(`/grants/${inside.grantId}`).set(bearer(t.adminToken)).expect(200)).body;
    expect(grant).toMatchObject({ accessLevelId: site.suiteLevelId, personId: created.id, validUntil: created.windowEnd });
    const access = async (when: string) =>
      (await t.http().get(`/customers/${a.id}/people/${created.id}/access`).query({ at: when }).set(bearer(t.adminToken)).expect(200)).body;
    expect(JSON.stringify(await access(at(H)))).toContain('"granted"');
    // Access ends at the window's end even if nobody checks out.
    expect(JSON.stringify(await access(at(4 * H)))).not.toContain('"granted"');

    t.clock.advance(H);
    const left = (await t.http().post(`/visitors/${created.id}/check-out`).set(bearer(security)).expect(200)).body as Visitor;
    expect(left).toMatchObject({ status: 'left', checkedOutAt: at(0) });
    expect(JSON.stringify(await access(at(1)))).not.toContain('"granted"');
    expect((await t.http().post(`/visitors/${created.id}/check-out`).set(bearer(security)).expect(409)).body.code).toBe('visitor.not_checked_in');
  });

  it("applies the customer's policy at check-in: visitors who may walk alone name no escort", async () => {
    expect((await t.http().get(`/customers/${a.id}/visitor-policy`).set(bearer(tokenA)).expect(200)).body).toEqual({
      customerId: a.id,
      visitorEscortRequired: true,
    });
    // Staff set it, not the customer.
    await t.http().put(`/customers/${a.id}/visitor-policy`).set(bearer(tokenA)).send({ visitorEscortRequired: false }).expect(403);
    await t.http().put(`/customers/${a.id}/visitor-policy`).set(bearer(security)).send({ visitorEscortRequired: false }).expect(200);
    const v = (await register(a.id, tokenA, visit(hostA.id, { fullName: 'Walks Alone' })).expect(201)).body as Visitor;
    expect((await checkIn(v.id).expect(200)).body.escortRequired).toBe(false);
    const person = (await t.http().get(`/customers/${a.id}/people/${v.id}`).set(bearer(t.adminToken)).expect(200)).body;
    expect(person).toMatchObject({ kind: 'visitor', escortPersonId: null });
    await t.http().put(`/customers/${a.id}/visitor-policy`).set(bearer(security)).send({ visitorEscortRequired: true }).expect(200);
  });

  it('the customer cancels a visit while it is expected: the desk can no longer check it in; audited with ids only', async () => {
    const v = (await register(a.id, tokenA, visit(hostA.id, { fullName: 'Called Off' })).expect(201)).body as Visitor;
    const cancel = (id: string, customerId = a.id, token = tokenA) => t.http().post(`/customers/${customerId}/visitors/${id}/cancel`).set(bearer(token));
    const cancelled = (await cancel(v.id).expect(200)).body as Visitor;
    expect(cancelled).toMatchObject({ id: v.id, status: 'cancelled', fullName: 'Called Off', checkedInAt: null, grantId: null });
    expect((await t.http().get('/visitors/today/count').set(bearer(security)).expect(200)).body.expected).toBe(1); // visitOfB only
    const refused = await checkIn(v.id).expect(409);
    expect(refused.body).toMatchObject({ code: 'visitor.not_expected', visitorStatus: 'cancelled' });
    expect((await cancel(v.id).expect(409)).body).toMatchObject({ code: 'visitor.not_expected', visitorStatus: 'cancelled' });
    // Nothing was made in the registry.
    expect((await t.http().get(`/customers/${a.id}/people/${v.id}`).set(bearer(t.adminToken)).expect(404)).body.code).toBe('person.not_found');
    // Once checked in, it is the desk's check-out, not a cancellation.
    const inside = (await register(a.id, tokenA, visit(hostA.id, { fullName: 'Already Here' })).expect(201)).body as Visitor;
    await checkIn(inside.id).expect(200);
    expect((await cancel(inside.id).expect(409)).body).toMatchObject({ code: 'visitor.not_expected', visitorStatus: 'checked_in' });
    // The desk may cancel too; an auditor may not.
    const other = (await register(a.id, tokenA, visit(hostA.id, { fullName: 'Desk Cancels' })).expect(201)).body as Visitor;
    expect((await cancel(other.id, a.id, auditor).expect(403)).body.code).toBe('auth.forbidden');
    expect((await cancel(other.id, a.id, security).expect(200)).body.status).toBe('cancelled');
    expect((await cancel(MISSING).expect(404)).body.code).toBe('visitor.not_found');
    const audit = await t.http().get('/audit').query({ action: 'visitor.cancel', targetId: v.id }).set(bearer(auditor)).expect(200);
    expect(audit.body.items.map((e: { outcome: string; details: unknown }) => [e.outcome, e.details]).reverse()).toEqual([
      ['success', null],
      ['failure', { code: 'visitor.not_expected' }], // the second attempt
    ]);
    expect(JSON.stringify(audit.body)).not.toContain('Called Off');
    await t.http().post(`/visitors/${inside.id}/check-out`).set(bearer(security)).expect(200);
  });

  it.each<[string, (site: SiteFixture) => object, number, string]>([
    [
      'a window ending before it starts',
      () => ({ windowStart: new Date(Date.parse('2026-11-26T12:00:00Z')).toISOString(), windowEnd: '2026-11-26T11:00:00.000Z' }),
      400,
      'visitor.bad_window',
    ],
    ['a window longer than a day', () => ({ windowEnd: '2026-11-28T09:00:00.000Z' }), 400, 'visitor.bad_window'],
    ['a window already over', () => ({ windowStart: '2026-11-25T09:00:00.000Z', windowEnd: '2026-11-25T12:00:00.000Z' }), 409, 'visitor.window_over'],
    ['an access level the customer holds no grant of', (s) => ({ accessLevelId: s.cageLevelId }), 404, 'access_level.not_found'],
    ['an unknown host', () => ({ hostPersonId: MISSING }), 404, 'person.not_found'],
    ['no name', () => ({ fullName: '' }), 400, 'validation.failed'],
  ])('refuses %s', async (_, extra, status, code) => {
    const res = await register(a.id, tokenA, visit(hostA.id, extra(site))).expect(status);
    expect(res.body.code).toBe(code);
  });

  describe('isolation: a customer reaches nothing of another customer', () => {
    it.each([
      ['GET', (): string => `/customers/${b.id}/visitors`, 403, 'auth.forbidden'],
      ['GET', (): string => `/customers/${b.id}/visitors/${visitOfB.id}`, 403, 'auth.forbidden'],
      ['GET', (): string => `/customers/${a.id}/visitors/${visitOfB.id}`, 404, 'visitor.not_found'],
      ['POST', (): string => `/customers/${b.id}/visitors`, 403, 'auth.forbidden'],
      ['POST', (): string => `/customers/${b.id}/visitors/${visitOfB.id}/cancel`, 403, 'auth.forbidden'],
      ['POST', (): string => `/customers/${a.id}/visitors/${visitOfB.id}/cancel`, 404, 'visitor.not_found'],
      ['GET', (): string => `/customers/${b.id}/visitor-policy`, 403, 'auth.forbidden'],
      ['PUT', (): string => `/customers/${b.id}/visitor-policy`, 403, 'auth.forbidden'],
      ['PUT', (): string => `/customers/${a.id}/visitor-policy`, 403, 'auth.forbidden'],
      ['GET', (): string => '/visitors/today', 403, 'auth.forbidden'],
      ['GET', (): string => '/visitors/today/count', 403, 'auth.forbidden'],
      ['POST', (): string => `/visitors/${visitOfB.id}/check-in`, 403, 'auth.forbidden'],
      ['POST', (): string => `/visitors/${visitOfB.id}/check-out`, 403, 'auth.forbidden'],
    ])('%s %s', async (method, path, status, code) => {
      const req = method === 'GET' ? t.http().get(path()) : method === 'PUT' ? t.http().put(path()) : t.http().post(path());
      const res = await req.set(bearer(tokenA)).send(method === 'PUT' ? { visitorEscortRequired: false } : { ...visit(hostA.id), idChecked: true });
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(JSON.stringify(res.body)).not.toContain('Visitor of B');
      // Still expected: no refused attempt changed B's visit.
      expect((await t.http().get(`/customers/${b.id}/visitors/${visitOfB.id}`).set(bearer(tokenB)).expect(200)).body.status).toBe('expected');
    });

    it("registers nobody with another customer's host under its own id", async () => {
      expect((await register(a.id, tokenA, visit(hostB.id)).expect(404)).body.code).toBe('person.not_found');
      expect((await t.http().get(`/customers/${b.id}/visitors`).set(bearer(tokenB)).expect(200)).body).toHaveLength(1);
    });

    it('refuses an auditor the desk', async () => {
      expect((await checkIn(visitOfB.id, { idChecked: true }, auditor).expect(403)).body.code).toBe('auth.forbidden');
      await t.http().get(`/customers/${b.id}/visitors`).set(bearer(auditor)).expect(200);
    });
  });

  it('closes visits at the window end and erases a visit after the retention period, with a certificate; history and audit keep ids only', async () => {
    const v = (await register(a.id, tokenA, visit(hostA.id, { fullName: 'Olga Retention', email: 'olga@example.com', windowEnd: at(2 * H) })).expect(201))
      .body as Visitor;
    await checkIn(v.id).expect(200);
    const service = t.app.get(VisitorService);

    // Past the window: still inside by the books means left (access ended with the window); visitOfB never came.
    t.clock.advance(4 * H);
    await service.sweep();
    const closed = (await t.http().get(`/customers/${a.id}/visitors/${v.id}`).set(bearer(tokenA)).expect(200)).body as Visitor;
    expect(closed).toMatchObject({ status: 'left', checkedOutAt: v.windowEnd, checkedOutBy: null, fullName: 'Olga Retention' });
    expect((await t.http().get(`/customers/${b.id}/visitors/${visitOfB.id}`).set(bearer(tokenB)).expect(200)).body.status).toBe('no_show');

    // Not yet: the retention period counts from the window's end.
    t.clock.advance(7 * DAY - 4 * H);
    expect((await service.sweep()).erasures).toBe(0);
    t.clock.advance(3 * H);
    await service.sweep();
    const due = (await t.http().get(`/customers/${a.id}/visitors/${v.id}`).set(bearer(tokenA)).expect(200)).body as Visitor;
    expect(due.erasureJobId).not.toBeNull();
    const job = await waitForErasure(t.app.get(ErasureService), due.erasureJobId!);
    expect(job).toMatchObject({ kind: 'visitor', personId: v.id, state: 'done' });

    const erased = (await t.http().get(`/customers/${a.id}/visitors/${v.id}`).set(bearer(tokenA)).expect(200)).body as Visitor;
    expect(erased).toMatchObject({ status: 'erased', fullName: null, company: null, email: null, hostPersonId: hostA.id });
    expect(erased.erasedAt).not.toBeNull();
    expect((await t.http().get(`/customers/${a.id}/people/${v.id}`).set(bearer(t.adminToken)).expect(404)).body.code).toBe('person.not_found');
    const cert = await t.http().get(`/compliance/certificates/${job.certificateIds[0]}`).set(bearer(t.adminToken)).expect(200);
    const body = cert.text;
    expect(body).toContain('"visitorRecords":1');
    expect(body).toContain('"people":1');
    expect(body).toContain('"clean":true');
    for (const secret of ['Olga', 'olga@example.com', 'Example Networks']) expect(body).not.toContain(secret);
    // The visitor who never came is erased too (no person to delete).
    expect((await t.http().get(`/customers/${b.id}/visitors/${visitOfB.id}`).set(bearer(tokenB)).expect(200)).body.erasureJobId).not.toBeNull();

    const audit = await t.http().get('/audit').query({ targetId: v.id }).set(bearer(auditor)).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(
      // person.read: the test's own look at the person row; the erasure's start is audited by compliance.
      [
        'compliance.erasure.started',
        'person.read',
        'visitor.check_in',
        'visitor.left',
        'visitor.read',
        'visitor.read',
        'visitor.read',
        'visitor.register',
      ].sort(),
    );
    const trail = JSON.stringify((await t.http().get('/audit').query({ limit: 500 }).set(bearer(auditor)).expect(200)).body);
    for (const secret of ['Olga', 'Eva Jansen', 'eva@example.com', 'Example Networks', 'Visitor of B']) expect(trail).not.toContain(secret);
  });
});
