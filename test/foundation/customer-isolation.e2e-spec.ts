import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { CredentialService } from '@acs/credentials';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { collectRoutes, type RouteInfo } from '../support/routes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';
const MISSING = '3f0c7c39-2a4f-4c39-9a59-00000000dead';
/** B's personal data: none of it may reach A in any answer. */
const MARKERS_OF_B = ['Bram Geheimhouder', 'Vera Vertrouwelijk', 'vera@b-secret.example', 'Geheim Bezoek B.V.', 'Contact Persoon B', 'alerts@b-secret.example'];

/** A customer administrator's browser session (cookie and CSRF token), or a customer token. */
type Caller = { label: string; headers: Record<string, string> };

/** What A's own customer id with B's ids in the rest of the request must answer. */
interface OwnCall {
  /** Path parameters other than customerId, when not B's id of the same name. */
  params?: Record<string, string>;
  body?: (b: Ids) => object;
  query?: (b: Ids) => Record<string, string>;
  status: number;
  code: string;
}

/**
 * Every customer-scoped route (`AllowStaffOrOwnCustomer`), and what A's administrator gets when
 * it names its own customer but B's objects: `OwnCall` (a refusal, never B's data), `list` (A's
 * own listing, which must hold nothing of B), or a reason why there is nothing of B's to name.
 * A new customer-scoped route fails the first test until it is added here.
 */
const CUSTOMER_ROUTES: Record<string, OwnCall | 'list' | { skip: string }> = {
  'GET /customers/:customerId': 'list',
  'GET /customers/:customerId/access-events': 'list',
  'GET /customers/:customerId/access-events/export': 'list',
  'GET /customers/:customerId/access-events/retention': 'list',
  'GET /customers/:customerId/access-events/totals': { skip: 'counts of A only; filters covered by test/access-log/isolation' },
  'GET /customers/:customerId/access-events/verify': 'list',
  'GET /customers/:customerId/access-requests': 'list',
  'GET /customers/:customerId/access-requests/:requestId': { status: 404, code: 'access_request.not_found' },
  'GET /customers/:customerId/data-subject-requests': 'list',
  'GET /customers/:customerId/enrolment': 'list',
  'GET /customers/:customerId/grants': 'list',
  'GET /customers/:customerId/monitor/events': { skip: "an event stream of A's own doors; refused for B below" },
  'GET /customers/:customerId/notification-settings': 'list',
  'GET /customers/:customerId/people': 'list',
  'GET /customers/:customerId/people/:personId': { status: 404, code: 'person.not_found' },
  'GET /customers/:customerId/people/:personId/access': { status: 404, code: 'person.not_found' },
  'GET /customers/:customerId/people/:personId/cards': { status: 404, code: 'person.not_found' },
  'GET /customers/:customerId/pre-approved-access-levels': 'list',
  'GET /customers/:customerId/requestable-access-levels': 'list',
  'GET /customers/:customerId/visitor-policy': 'list',
  'GET /customers/:customerId/visitors': 'list',
  'GET /customers/:customerId/visitors/:visitorId': { status: 404, code: 'visitor.not_found' },
  'GET /customers/:customerId/zones': 'list',
  'POST /customers/:customerId/access-requests': {
    body: (b) => ({ kind: 'grant', personId: b.personId, accessLevelId: b.accessLevelId, validUntil: '2027-06-01T00:00:00Z' }),
    status: 404,
    code: 'person.not_found',
  },
  'POST /customers/:customerId/cards/:cardId/revoke': { status: 404, code: 'card.not_found' },
  'POST /customers/:customerId/cards/:cardId/suspend': { status: 404, code: 'card.not_found' },
  'POST /customers/:customerId/data-subject-requests': { body: (b) => ({ kind: 'erasure', personId: b.personId }), status: 404, code: 'person.not_found' },
  'POST /customers/:customerId/visitors': {
    body: (b) => ({
      fullName: 'Someone',
      hostPersonId: b.personId,
      accessLevelId: b.accessLevelId,
      windowStart: '2026-11-26T10:00:00Z',
      windowEnd: '2026-11-26T12:00:00Z',
    }),
    status: 404,
    code: 'person.not_found',
  },
  'POST /customers/:customerId/visitors/:visitorId/cancel': { status: 404, code: 'visitor.not_found' },
  'PUT /customers/:customerId/notification-settings': { skip: "an administrator's own row: A's administrator cannot name B's (read back as A's below)" },
};

/**
 * Routes any signed-in account may call on itself (`OwnAccount`, `Authenticated`): they take no id
 * of anyone else, or, when they do, B's must be "not found". A new one fails the first test.
 */
const SELF_ROUTES: Record<string, OwnCall | { skip: string }> = {
  // Confirmed with the caller's own password: then another account's passkey id is not found.
  'DELETE /auth/passkeys/:passkeyId': { params: { passkeyId: MISSING }, body: () => ({ password: PASSWORD }), status: 404, code: 'passkey.not_found' },
  'DELETE /auth/sessions/:sessionId': { status: 404, code: 'session.not_found' },
  'GET /auth/me': { skip: 'the caller itself' },
  'GET /auth/passkeys': { skip: "the caller's own" },
  'GET /auth/session': { skip: 'the caller itself' },
  'GET /auth/sessions': { skip: "the caller's own" },
  'GET /auth/totp': { skip: "the caller's own" },
  'POST /auth/passkeys/registration': { skip: 'the ceremony started by the caller' },
  'POST /auth/passkeys/registration/options': { skip: 'the caller itself' },
  'POST /auth/password': { skip: 'the caller itself (with its current password)' },
  'POST /auth/sign-out': { skip: 'the caller itself' },
  'POST /auth/sign-out-everywhere': { skip: 'the caller itself' },
  'POST /auth/totp/disable': { skip: 'the caller itself' },
  'POST /auth/totp/enrolment': { skip: 'the caller itself' },
  'POST /auth/totp/enrolment/confirm': { skip: 'the caller itself' },
};

/** B's ids, by the route parameter that names them. */
type Ids = Record<string, string>;

const fill = (route: string, ids: Ids): string =>
  route.split(' ')[1]!.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    if (name === 'finger') return 'right_index';
    return ids[name] ?? MISSING;
  });

/**
 * Cross-customer isolation over every route the application has, driven from its route table: a
 * customer administrator of A (browser session) and a customer token of A, naming B's customer id
 * and B's objects (person, card, grant, access request, visitor, data-subject case, B's
 * administrator and session), get 403 or 404 with a problem code and never any of B's data. Routes
 * scoped to a customer are listed above with what A's own id and B's objects must answer.
 */
describe('customer isolation on every route', () => {
  let t: TestApp;
  let site: SiteFixture;
  let routes: RouteInfo[];
  let a: { id: string };
  let ofB: Ids;
  /** The ids of what belongs to B (the site's objects are shared, not B's). */
  let ownedByB: string[];
  let callers: Caller[];
  let adminACaller: Caller;
  let adminBHeaders: Record<string, string>;

  const signIn = async (customerId: string, username: string): Promise<{ staffId: string; headers: Record<string, string> }> => {
    const created = await t.http().post(`/customers/${customerId}/admins`).set(bearer(t.adminToken)).send({ username }).expect(201);
    await t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    const res: Response = await t.http().post('/auth/sign-in').send({ username, password: PASSWORD }).expect(200);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((h) => h.startsWith('acs_session='))!
      .split(';')[0]!;
    return { staffId: created.body.id as string, headers: { Cookie: cookie, 'X-CSRF-Token': res.body.csrfToken as string } };
  };

  const call = (method: string, path: string, caller: Caller, body?: object, query: Record<string, string> = {}) => {
    const m = method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const req = t.http()[m](path).query(query).set(caller.headers);
    return method === 'GET' || (method === 'DELETE' && !body) ? req : req.send(body ?? {});
  };

  /** Nothing of B in an answer to A: no personal data, and no id of B's that A did not name itself. */
  const leaksOfB = (res: Response, asked: string): string[] => {
    const text = res.text ?? JSON.stringify(res.body);
    const ids = ownedByB.filter((id) => !asked.includes(id));
    return [...MARKERS_OF_B, ...ids].filter((v) => text.toLowerCase().includes(v.toLowerCase()));
  };

  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
    routes = collectRoutes(t);
    a = await createCustomer(t);
    const b = await createCustomer(t, { contact: { name: 'Contact Persoon B' } });
    await createPerson(t, a.id, { fullName: 'Anna Eigen' });
    const personOfB = await createPerson(t, b.id, { fullName: 'Bram Geheimhouder' });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: a.id });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: b.id });
    const grantOfB = await post<{ id: string }>(t, '/grants', { accessLevelId: site.cageLevelId, customerId: b.id, personId: personOfB.id });
    const tokenOfB = await post<{ token: string; id: string }>(t, `/customers/${b.id}/tokens`, { label: 'portal B' });
    const tokenA = (await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal A' })).token;
    const card = await t.app
      .get(CredentialService)
      .issueCard({ customerId: b.id, personId: personOfB.id, read: { format: 'wiegand', bitCount: 26, data: Buffer.from([1, 9, 0x31, 0x40]) } });
    const requestOfB = await post<{ id: string }>(
      t,
      `/customers/${b.id}/access-requests`,
      { kind: 'add_person', fullName: 'Bram Geheimhouder Junior' },
      tokenOfB.token,
    );
    const visitOfB = await post<{ id: string }>(
      t,
      `/customers/${b.id}/visitors`,
      {
        fullName: 'Vera Vertrouwelijk',
        company: 'Geheim Bezoek B.V.',
        email: 'vera@b-secret.example',
        hostPersonId: personOfB.id,
        accessLevelId: site.suiteLevelId,
        windowStart: new Date(t.clock.nowMs()).toISOString(),
        windowEnd: new Date(t.clock.nowMs() + 4 * 3_600_000).toISOString(),
      },
      tokenOfB.token,
    );
    const caseOfB = await post<{ id: string }>(t, `/customers/${b.id}/data-subject-requests`, { kind: 'access', personId: personOfB.id }, tokenOfB.token);
    const adminB = await signIn(b.id, 'isolation-admin-b');
    await t
      .http()
      .put(`/customers/${b.id}/notification-settings`)
      .set(adminB.headers)
      .send({ email: 'alerts@b-secret.example', kinds: ['visitor_arrived'] })
      .expect(200);
    const sessionsOfB = (await t.http().get('/auth/sessions').set(adminB.headers).expect(200)).body as Array<{ id: string }>;
    adminBHeaders = adminB.headers;
    const adminA = await signIn(a.id, 'isolation-admin-a');
    adminACaller = { label: 'customer administrator of A', headers: adminA.headers };
    callers = [adminACaller, { label: 'customer token of A', headers: bearer(tokenA) }];
    ofB = {
      customerId: b.id,
      personId: personOfB.id,
      grantId: grantOfB.id,
      tokenId: tokenOfB.id,
      cardId: card.id,
      requestId: requestOfB.id,
      visitorId: visitOfB.id,
      caseId: caseOfB.id,
      staffId: adminB.staffId,
      sessionId: sessionsOfB[0]!.id,
    };
    ownedByB = Object.values(ofB);
    ofB = {
      ...ofB,
      // The site's objects are not B's, but a customer reaches none of them either.
      siteId: site.siteId,
      zoneId: site.cageZoneId,
      doorId: site.cageDoorId,
      readerId: site.entryReaderId,
      controllerId: site.controllerId,
      scheduleId: site.officeHoursId,
      accessLevelId: site.cageLevelId,
    };
  });
  afterAll(() => t?.close());

  it('lists every customer-scoped and self route (a new one must be added to the tables)', () => {
    const scoped = routes.filter((r) => r.access?.kind === 'roles' && r.access.customerParam !== undefined).map((r) => r.route);
    expect(scoped.filter((r) => !(r in CUSTOMER_ROUTES)).sort()).toEqual([]);
    expect(Object.keys(CUSTOMER_ROUTES).filter((r) => !scoped.includes(r))).toEqual([]);
    // Every customer-scoped route names the customer as `customerId`, the parameter the table fills.
    expect(routes.filter((r) => r.access?.kind === 'roles' && r.access.customerParam && r.access.customerParam !== 'customerId').map((r) => r.route)).toEqual(
      [],
    );
    const self = routes.filter((r) => r.access?.kind === 'own-account' || r.access?.kind === 'authenticated').map((r) => r.route);
    expect(self.filter((r) => !(r in SELF_ROUTES)).sort()).toEqual([]);
    expect(Object.keys(SELF_ROUTES).filter((r) => !self.includes(r))).toEqual([]);
  });

  it("every staff-only and customer-scoped route, called with B's ids, answers 403 auth.forbidden with nothing of B", async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const r of routes) {
      if (r.access?.kind !== 'roles') continue;
      const [method] = r.route.split(' ') as [string];
      const path = fill(r.route, ofB);
      for (const caller of callers) {
        const res = await call(method, path, caller);
        calls++;
        const leaks = leaksOfB(res, path);
        if (
          res.status !== 403 ||
          res.body?.code !== 'auth.forbidden' ||
          !String(res.headers['content-type']).startsWith('application/problem+json') ||
          leaks.length
        )
          wrong.push(`${caller.label}: ${method} ${path} → ${res.status} ${res.body?.code ?? ''} ${leaks.join(',')}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThan(300);
  });

  it("A's own customer id with B's objects: not found, never B's data; A's own listings hold nothing of B", async () => {
    const wrong: string[] = [];
    for (const [route, spec] of Object.entries(CUSTOMER_ROUTES)) {
      if (typeof spec === 'object' && 'skip' in spec) continue;
      const [method] = route.split(' ') as [string];
      for (const caller of callers) {
        if (spec === 'list') {
          const path = fill(route, { customerId: a.id });
          const res = await call(method, path, caller);
          const leaks = leaksOfB(res, '');
          // A token has no account, so no notification settings of its own (403 notification.account_required).
          const refusedWithCode = res.status === 403 && typeof res.body?.code === 'string';
          if ((res.status !== 200 && !refusedWithCode) || leaks.length)
            wrong.push(`${caller.label}: ${route} → ${res.status} ${res.body?.code ?? ''} ${leaks.join(',')}`);
          continue;
        }
        const own = spec as OwnCall;
        const path = fill(route, { ...ofB, ...own.params, customerId: a.id });
        const body = own.body?.(ofB);
        const res = await call(method, path, caller, body, own.query?.(ofB));
        // B's id that A itself sent may be echoed in the problem ("person … not found"): nothing else of B.
        const leaks = leaksOfB(res, path + JSON.stringify(body ?? {}));
        if (res.status !== own.status || res.body?.code !== own.code || leaks.length)
          wrong.push(`${caller.label}: ${method} ${path} → ${res.status} ${res.body?.code ?? ''} ${leaks.join(',')}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("a customer administrator's own-account routes reach no other account's session or passkey", async () => {
    const wrong: string[] = [];
    for (const [route, spec] of Object.entries(SELF_ROUTES)) {
      if ('skip' in spec) continue;
      const [method] = route.split(' ') as [string];
      const path = fill(route, { ...ofB, ...spec.params });
      const res = await call(method, path, adminACaller, spec.body?.(ofB));
      const leaks = leaksOfB(res, path);
      if (res.status !== spec.status || res.body?.code !== spec.code || leaks.length)
        wrong.push(`${method} ${path} → ${res.status} ${res.body?.code ?? ''} ${leaks.join(',')}`);
    }
    expect(wrong).toEqual([]);
    // B's administrator is still signed in with the session A tried to end, and A's settings are A's own.
    expect((await t.http().get('/auth/sessions').set(adminBHeaders).expect(200)).body.map((x: { id: string }) => x.id)).toContain(ofB.sessionId);
    const mine = await t.http().get(`/customers/${a.id}/notification-settings`).set(adminACaller.headers).expect(200);
    expect(mine.body).toMatchObject({ customerId: a.id, email: null });
  });

  it("B's objects are untouched by all of it", async () => {
    const visit = await t.http().get(`/customers/${ofB.customerId}/visitors/${ofB.visitorId}`).set(bearer(t.adminToken)).expect(200);
    expect(visit.body.status).toBe('expected');
    const request = await t.http().get(`/customers/${ofB.customerId}/access-requests/${ofB.requestId}`).set(bearer(t.adminToken)).expect(200);
    expect(request.body.status).toBe('pending');
    expect((await t.app.get(CredentialService).getCard(ofB.cardId)).state).toBe('active');
    await t.http().get(`/grants/${ofB.grantId}`).set(bearer(t.adminToken)).expect(200);
    const settings = await t.http().get(`/customers/${ofB.customerId}/notification-settings`).set(adminBHeaders).expect(200);
    expect(settings.body.email).toBe('alerts@b-secret.example');
  });
});
