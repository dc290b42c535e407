import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from './auth.guard.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { Principal } from './roles.js';
import type { DataSource } from 'typeorm';
import { ACCESS_POLICY, type AccessPolicy, DURING_ENROLMENT } from './route-policy.js';
import type { SecurityEventSink } from './security-event.sink.js';
import type { SessionService } from './signin/session.service.js';
import type { TokenService } from './token.service.js';

const STAFF: Record<string, Principal> = {
  'tok-admin': { kind: 'staff', tokenId: 't1', staffId: 's1', role: 'admin' },
  'tok-auditor': { kind: 'staff', tokenId: 't2', staffId: 's2', role: 'auditor' },
  'tok-cust-a': { kind: 'customer', tokenId: 't3', customerId: 'cust-a' },
  // A customer administrator's account: a customer principal that also names its account.
  'tok-cadmin-a': { kind: 'customer', tokenId: 't4', customerId: 'cust-a', staffId: 'ca1', role: 'customer_admin' },
};

/** The guard over fakes of its neighbours: tokens by table, a limiter that counts, a sink that records. */
function harness(opts: { blockedFor?: number } = {}) {
  const failures: string[] = [];
  const denied: string[] = [];
  const tokens = { authenticate: async (t: string) => STAFF[t] ?? null } as unknown as TokenService;
  const limiter = {
    blockedFor: async () => opts.blockedFor ?? 0,
    recordFailure: async (address: string) => void failures.push(address),
  } as unknown as AuthFailureLimiter;
  const sink = { accessDenied: async (_p: Principal, route: string) => void denied.push(route) } as unknown as SecurityEventSink;
  const guard = new AuthGuard(new Reflector(), tokens, limiter, sink);
  const run = async (policy: AccessPolicy | undefined, authorization?: string, params: Record<string, string> = {}) => {
    const handler = () => undefined;
    if (policy) Reflect.defineMetadata(ACCESS_POLICY, policy, handler);
    const req = {
      headers: authorization === undefined ? {} : { authorization },
      params,
      ip: '192.0.2.7',
      method: 'GET',
      route: { path: '/x/:customerId' },
      path: '/x/1',
    };
    const ctx = {
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => class {},
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    try {
      return { allowed: await guard.canActivate(ctx), principal: (req as { principal?: Principal }).principal?.tokenId ?? null };
    } catch (err) {
      const e = err as { code?: string; status?: number };
      return { code: e.code, status: e.status };
    }
  };
  return { run, failures, denied };
}

const admins: AccessPolicy = { kind: 'roles', staff: ['admin'] };
const own: AccessPolicy = { kind: 'roles', staff: ['admin'], customerParam: 'customerId' };

describe('AuthGuard (default deny)', () => {
  it.each<[string, AccessPolicy | undefined, string | undefined, Record<string, string>, object]>([
    ['a route without a policy, even for an admin', undefined, 'Bearer tok-admin', {}, { code: 'auth.no_policy', status: 403 }],
    ['a public route without a token', { kind: 'public' }, undefined, {}, { allowed: true, principal: null }],
    ['no Authorization header', admins, undefined, {}, { code: 'auth.unauthenticated', status: 401 }],
    ['an unknown token', admins, 'Bearer tok-nobody', {}, { code: 'auth.unauthenticated', status: 401 }],
    ['a scheme other than bearer', admins, 'Basic tok-admin', {}, { code: 'auth.unauthenticated', status: 401 }],
    ['the scheme in lower case (RFC 7235: case-insensitive)', admins, 'bearer tok-admin', {}, { allowed: true, principal: 't1' }],
    ['a staff role the route lists', admins, 'Bearer tok-admin', {}, { allowed: true, principal: 't1' }],
    ['a staff role the route does not list', admins, 'Bearer tok-auditor', {}, { code: 'auth.forbidden', status: 403 }],
    ['a customer token on a staff-only route', admins, 'Bearer tok-cust-a', {}, { code: 'auth.forbidden', status: 403 }],
    ['a customer token on its own customer', own, 'Bearer tok-cust-a', { customerId: 'cust-a' }, { allowed: true, principal: 't3' }],
    ['a customer token on another customer', own, 'Bearer tok-cust-a', { customerId: 'cust-b' }, { code: 'auth.forbidden', status: 403 }],
    ['any valid token on an authenticated route', { kind: 'authenticated' }, 'Bearer tok-cust-a', {}, { allowed: true, principal: 't3' }],
    ['a customer administrator on its own customer', own, 'Bearer tok-cadmin-a', { customerId: 'cust-a' }, { allowed: true, principal: 't4' }],
    ['a customer administrator on another customer', own, 'Bearer tok-cadmin-a', { customerId: 'cust-b' }, { code: 'auth.forbidden', status: 403 }],
    ['a customer administrator on a staff-only route', admins, 'Bearer tok-cadmin-a', {}, { code: 'auth.forbidden', status: 403 }],
    ['a customer administrator on its own account', { kind: 'own-account' }, 'Bearer tok-cadmin-a', {}, { allowed: true, principal: 't4' }],
    ['a staff member on their own account', { kind: 'own-account' }, 'Bearer tok-auditor', {}, { allowed: true, principal: 't2' }],
    ['a customer token (no account) on an own-account route', { kind: 'own-account' }, 'Bearer tok-cust-a', {}, { code: 'auth.forbidden', status: 403 }],
  ])('%s', async (_name, policy, header, params, expected) => {
    expect(await harness().run(policy, header, params)).toEqual(expected);
  });

  it('counts a failed authentication against the address, and not a valid one', async () => {
    const h = harness();
    await h.run(admins, 'Bearer tok-nobody');
    await h.run(admins, 'Bearer tok-admin');
    await h.run(admins, undefined);
    expect(h.failures).toEqual(['192.0.2.7']);
  });

  it('refuses with 429 once the address is blocked, but never a valid token', async () => {
    const h = harness({ blockedFor: 30 });
    expect(await h.run(admins, 'Bearer tok-nobody')).toEqual({ code: 'auth.rate_limited', status: 429 });
    expect(await h.run(admins, 'Bearer tok-admin')).toEqual({ allowed: true, principal: 't1' });
  });

  it('reports a refused valid token to the security sink by route pattern, never the concrete path', async () => {
    const h = harness();
    await h.run(own, 'Bearer tok-cust-a', { customerId: 'cust-b' });
    expect(h.denied).toEqual(['GET /x/:customerId']);
  });
});

describe('AuthGuard with the browser session cookie', () => {
  const SESSIONS: Record<string, { id: string; staffId: string; state: 'active' | 'totp_enrolment' }> = {
    live: { id: 'sess-1', staffId: 's1', state: 'active' },
    enrolling: { id: 'sess-2', staffId: 's1', state: 'totp_enrolment' },
    customerAdmin: { id: 'sess-3', staffId: 'ca1', state: 'active' },
  };
  const ACCOUNTS: Record<string, object> = {
    s1: { id: 's1', role: 'admin', customerId: null, disabledAt: null },
    ca1: { id: 'ca1', role: 'customer_admin', customerId: 'cust-a', disabledAt: null },
  };

  async function run(opts: {
    policy?: AccessPolicy;
    cookie?: string;
    method?: string;
    csrf?: string;
    duringEnrolment?: boolean;
    authorization?: string;
    params?: Record<string, string>;
  }) {
    const failures: string[] = [];
    const tokens = { authenticate: async (t: string) => STAFF[t] ?? null } as unknown as TokenService;
    const limiter = { blockedFor: async () => 0, recordFailure: async (a: string) => void failures.push(a) } as unknown as AuthFailureLimiter;
    const sessions = {
      authenticate: async (token: string) => SESSIONS[token] ?? null,
      csrfMatches: (_s: unknown, csrf: string | undefined) => csrf === 'good-csrf',
    } as unknown as SessionService;
    const staffRepo = { findOne: async (q: { where: { id: string } }) => ACCOUNTS[q.where.id] ?? null };
    const dataSource = { getRepository: () => staffRepo } as unknown as DataSource;
    const guard = new AuthGuard(new Reflector(), tokens, limiter, undefined, sessions, dataSource);
    const handler = () => undefined;
    Reflect.defineMetadata(ACCESS_POLICY, opts.policy ?? admins, handler);
    if (opts.duringEnrolment) Reflect.defineMetadata(DURING_ENROLMENT, true, handler);
    const headers: Record<string, string> = {};
    if (opts.cookie !== undefined) headers.cookie = `theme=dark; acs_session=${opts.cookie}`;
    if (opts.csrf !== undefined) headers['x-csrf-token'] = opts.csrf;
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    const req = { headers, params: opts.params ?? {}, ip: '192.0.2.7', method: opts.method ?? 'GET', route: { path: '/x' }, path: '/x' };
    const ctx = {
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => class {},
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    try {
      await guard.canActivate(ctx);
      return { allowed: true, principal: (req as { principal?: Principal }).principal, failures };
    } catch (err) {
      return { code: (err as { code?: string }).code, failures };
    }
  }

  it.each<[string, Parameters<typeof run>[0], string | undefined]>([
    ['a live session on a safe method', { cookie: 'live' }, undefined],
    ['a live session posting with its CSRF token', { cookie: 'live', method: 'POST', csrf: 'good-csrf' }, undefined],
    ['a live session posting without a CSRF token', { cookie: 'live', method: 'POST' }, 'auth.csrf_failed'],
    ['a live session posting with another CSRF token', { cookie: 'live', method: 'DELETE', csrf: 'forged' }, 'auth.csrf_failed'],
    ['an unknown or expired session', { cookie: 'gone' }, 'auth.session_expired'],
    ['a session still enrolling on an ordinary route', { cookie: 'enrolling' }, 'auth.totp_enrolment_required'],
    ['a session still enrolling on an enrolment route', { cookie: 'enrolling', duringEnrolment: true }, undefined],
    ['a session on a route its role may not call', { cookie: 'live', policy: { kind: 'roles', staff: ['auditor'] } }, 'auth.forbidden'],
    ['a customer administrator’s session on its own customer', { cookie: 'customerAdmin', policy: own, params: { customerId: 'cust-a' } }, undefined],
    ['a customer administrator’s session on another customer', { cookie: 'customerAdmin', policy: own, params: { customerId: 'cust-b' } }, 'auth.forbidden'],
    ['a customer administrator’s session on a staff-only route', { cookie: 'customerAdmin', policy: admins }, 'auth.forbidden'],
    ['a customer administrator’s session on its own account', { cookie: 'customerAdmin', policy: { kind: 'own-account' } }, undefined],
    ['a bearer token wins over a cookie sent alongside', { cookie: 'gone', authorization: 'Bearer tok-auditor', policy: { kind: 'authenticated' } }, undefined],
  ])('%s', async (_name, opts, code) => {
    const r = await run(opts);
    expect(r.code).toBe(code);
  });

  it('gives the session principal its session id, and does not count a stale cookie as a failed authentication', async () => {
    expect((await run({ cookie: 'live' })).principal).toEqual({ kind: 'staff', tokenId: 'sess-1', staffId: 's1', role: 'admin', sessionId: 'sess-1' });
    expect((await run({ cookie: 'gone' })).failures).toEqual([]);
  });

  it('gives a customer administrator’s session a customer principal naming the account', async () => {
    const r = await run({ cookie: 'customerAdmin', policy: { kind: 'own-account' } });
    expect(r.principal).toEqual({ kind: 'customer', tokenId: 'sess-3', customerId: 'cust-a', staffId: 'ca1', role: 'customer_admin', sessionId: 'sess-3' });
  });
});
