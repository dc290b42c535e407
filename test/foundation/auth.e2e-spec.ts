import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenService } from '@acs/auth';
import { createPostgresDatabase, type ThrowawayPostgres } from '@acs/database/testing';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('staff, roles and tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_S: '60' } });
  });
  afterAll(() => t.close());

  it('creates a staff account whose token works once and is stored only as a hash', async () => {
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'desk-officer-1', role: 'security' }).expect(201);
    expect(created.body.staff).toMatchObject({ username: 'desk-officer-1', role: 'security', disabledAt: null });
    const token = created.body.token.token as string;
    expect(token).toMatch(/^acs_[A-Za-z0-9_-]{43}$/);

    const me = await t.http().get('/auth/me').set(bearer(token)).expect(200);
    expect(me.body).toMatchObject({ kind: 'staff', role: 'security', staffId: created.body.staff.id });

    const raw = (await t.app.get(TokenService).list({ staffId: created.body.staff.id }))[0];
    expect(JSON.stringify(raw)).not.toContain(token);

    const listed = await t.http().get('/tokens').query({ staffId: created.body.staff.id }).set(bearer(t.adminToken)).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body).toHaveLength(1);
  });

  it.each([
    ['security', 'GET', '/staff', 403],
    ['auditor', 'POST', '/staff', 403],
    ['compliance', 'GET', '/tokens', 403],
    ['auditor', 'GET', '/audit', 200],
    ['security', 'GET', '/audit', 403],
    ['compliance', 'GET', '/audit', 200],
  ] as const)('%s calling %s %s gets %i', async (role, method, path, status) => {
    const token = await t.tokenFor(role);
    const call = method === 'GET' ? t.http().get(path) : t.http().post(path).send({ username: 'whoever', role: 'admin' });
    const res = await call.set(bearer(token)).expect(status);
    expect(res.body.code).toBe(status === 403 ? 'auth.forbidden' : undefined);
  });

  it('records a refused call as a denied audit entry with ids only', async () => {
    const token = await t.tokenFor('auditor');
    const me = await t.http().get('/auth/me').set(bearer(token)).expect(200);
    await t.http().get('/staff').set(bearer(token)).expect(403);
    const audit = await t.http().get('/audit').query({ outcome: 'denied', actorId: me.body.staffId }).set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ action: 'access.denied', actorType: 'staff', role: 'auditor', details: { route: 'GET_/staff' } });
  });

  it('refuses a customer token on staff routes', async () => {
    const issued = await t.app.get(TokenService).issueForCustomer('3f0c7c39-2a4f-4c39-9a59-000000000001');
    const me = await t.http().get('/auth/me').set(bearer(issued.token)).expect(200);
    expect(me.body).toMatchObject({ kind: 'customer', customerId: '3f0c7c39-2a4f-4c39-9a59-000000000001' });
    await t.http().get('/staff').set(bearer(issued.token)).expect(403);
    await t.http().get('/audit').set(bearer(issued.token)).expect(403);
  });

  it('stops accepting a revoked token', async () => {
    const token = await t.tokenFor('security');
    const me = await t.http().get('/auth/me').set(bearer(token)).expect(200);
    await t.http().delete(`/tokens/${me.body.tokenId}`).set(bearer(t.adminToken)).expect(204);
    const res = await t.http().get('/auth/me').set(bearer(token)).expect(401);
    expect(res.body.code).toBe('auth.unauthenticated');
  });

  it('stops accepting tokens of a disabled account', async () => {
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'leaver', role: 'security' }).expect(201);
    await t.http().post(`/staff/${created.body.staff.id}/disable`).set(bearer(t.adminToken)).expect(200);
    const res = await t.http().get('/auth/me').set(bearer(created.body.token.token)).expect(401);
    expect(res.body.code).toBe('auth.unauthenticated');
  });

  it('stops accepting a token at its expiry instant', async () => {
    const token = await t.tokenFor('security');
    const me = await t.http().get('/auth/me').set(bearer(token)).expect(200);
    const row = (await t.app.get(TokenService).list()).find((r) => r.id === me.body.tokenId)!;
    t.clock.set(row.expiresAt - 1);
    await t.http().get('/auth/me').set(bearer(token)).expect(200);
    t.clock.set(row.expiresAt);
    const res = await t.http().get('/auth/me').set(bearer(token)).expect(401);
    expect(res.body.code).toBe('auth.unauthenticated');
    t.clock.set('2026-11-26T09:00:00Z');
  });

  it('refuses a duplicate username with 409', async () => {
    await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'twin', role: 'auditor' }).expect(201);
    const res = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'twin', role: 'auditor' }).expect(409);
    expect(res.body.code).toBe('staff.username_taken');
  });
});

describe('authentication failure limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_S: '60' } });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After after too many bad tokens, but never refuses a valid token from that address', async () => {
    for (let i = 0; i < 3; i++) {
      await t
        .http()
        .get('/auth/me')
        .set(bearer(`acs_guess${i}`))
        .expect(401);
    }
    const limited = await t.http().get('/auth/me').set(bearer('acs_guess4')).expect(429);
    expect(limited.body.code).toBe('auth.rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Behind one proxy every client shares this address: staff and customers keep working.
    await t.http().get('/auth/me').set(bearer(t.adminToken)).expect(200);
    const anonymous = await t.http().get('/auth/me').expect(429);
    expect(anonymous.body.code).toBe('auth.rate_limited');
    // public routes stay reachable
    await t.http().get('/health').expect(200);
  });

  it('accepts the bearer scheme in any case (RFC 7235 section 2.1)', async () => {
    const lower = await t.http().get('/auth/me').set('Authorization', `bearer ${t.adminToken}`);
    const upper = await t.http().get('/auth/me').set('Authorization', `BEARER ${t.adminToken}`);
    expect([lower.status, lower.body.kind, upper.status, upper.body.kind]).toEqual([200, 'staff', 200, 'staff']);
  });
});

describe('authentication failure limit behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    // supertest connects from the loopback address: it plays the TLS proxy here.
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_S: '60', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  it('counts failures per client address the proxy forwards', async () => {
    const from = (ip: string) => ({ ...bearer('acs_guess'), 'X-Forwarded-For': ip });
    await t.http().get('/auth/me').set(from('203.0.113.7')).expect(401);
    await t.http().get('/auth/me').set(from('203.0.113.7')).expect(401);
    const limited = await t.http().get('/auth/me').set(from('203.0.113.7'));
    // another client behind the same proxy is not punished for it
    const other = await t.http().get('/auth/me').set(from('203.0.113.8'));
    expect([limited.body.code, other.body.code]).toEqual(['auth.rate_limited', 'auth.unauthenticated']);
  });
});

describe('authentication failure limit with a proxy elsewhere', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_S: '60', TRUST_PROXY: '10.20.30.40' } });
  });
  afterAll(() => t.close());

  it('ignores X-Forwarded-For from a client that is not the trusted proxy', async () => {
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      await t
        .http()
        .get('/auth/me')
        .set({ ...bearer('acs_guess'), 'X-Forwarded-For': ip })
        .expect(401);
    }
    const res = await t
      .http()
      .get('/auth/me')
      .set({ ...bearer('acs_guess'), 'X-Forwarded-For': '198.51.100.3' })
      .expect(429);
    expect(res.body.code).toBe('auth.rate_limited');
  });
});

describe('authentication failure limit across instances (PostgreSQL)', () => {
  let pg: ThrowawayPostgres;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    pg = await createPostgresDatabase('acs_e2e_authfail');
    const env = { DATABASE_URL: pg.url, AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_S: '60' };
    a = await startTestApp({ env: { ...env, INSTANCE_ID: 'auth-a' } });
    b = await startTestApp({ env: { ...env, INSTANCE_ID: 'auth-b', DATABASE_MIGRATE_ON_START: 'false' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await pg?.drop();
  });

  it('refuses on one instance the address that failed on another', async () => {
    await a.http().get('/auth/me').set(bearer('acs_guess1')).expect(401);
    await b.http().get('/auth/me').set(bearer('acs_guess2')).expect(401);
    const res = await a.http().get('/auth/me').set(bearer('acs_guess3')).expect(429);
    expect(res.body.code).toBe('auth.rate_limited');
    await b.http().get('/auth/me').set(bearer('acs_guess4')).expect(429);
    await b.http().get('/auth/me').set(bearer(b.adminToken)).expect(200);
  });
});
