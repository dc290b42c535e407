import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { FakeClock } from '@acs/clock';
import { authorizeAtProvider, startTestIdp, type TestIdp } from '../support/oidc-idp.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
// Never fetched by anything: the provider only redirects the (test's) browser there, and the
// token request must repeat it exactly (RFC 6749 §4.1.3).
const REDIRECT = 'http://acs.test/auth/oidc/callback';
const ROLE_MAP = 'acs-admins=admin,acs-guards=security,dpo=compliance';

function cookieNamed(res: Response, name: string): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const c = set.find((h) => h.startsWith(`${name}=`));
  if (!c) throw new Error(`no ${name} cookie in ${JSON.stringify(set)}`);
  return c;
}
const pair = (setCookie: string) => setCookie.split(';')[0];

/**
 * Single sign-on against a real OpenID provider (oidc-provider, in-process): the code flow with
 * PKCE, the account linked by (issuer, subject), roles from the groups claim, and each refusal
 * the callback reports to the console. The app's clock starts at the wall clock's time, since
 * the provider stamps its tokens with the real time.
 */
describe('staff single sign-on (OpenID Connect)', () => {
  let idp: TestIdp;
  let other: TestIdp;
  let t: TestApp;
  const secrets: string[] = [];

  beforeAll(async () => {
    idp = await startTestIdp({ redirectUri: REDIRECT });
    other = await startTestIdp({ redirectUri: REDIRECT });
    t = await startTestApp({
      clock: new FakeClock(Date.now()),
      env: {
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_REDIRECT_URL: REDIRECT,
        OIDC_SCOPES: 'openid groups',
        OIDC_ROLE_CLAIM: 'groups',
        OIDC_ROLE_MAP: ROLE_MAP,
        OIDC_DISPLAY_NAME: 'Test IdP',
      },
    });
    secrets.push(idp.clientSecret, other.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await other?.close();
  });

  /** GET /auth/oidc/start as a browser would, optionally with the cookies it holds; the provider URL and the binding cookie. */
  async function start(cookie?: string): Promise<{ authorizationUrl: URL; binding: string; setCookie: string }> {
    const req = t.http().get('/auth/oidc/start');
    const res = await (cookie ? req.set('Cookie', cookie) : req).expect(303);
    const setCookie = cookieNamed(res, 'acs_oidc');
    return { authorizationUrl: new URL(res.headers.location as string), binding: pair(setCookie), setCookie };
  }

  const callback = (url: URL, cookie?: string) => {
    const req = t.http().get(`${url.pathname}${url.search}`);
    return (cookie ? req.set('Cookie', cookie) : req).expect(303);
  };

  async function signIn(sub: string, groups: string[], cookie?: string): Promise<Response> {
    idp.signInAs({ sub, groups });
    const s = await start(cookie);
    const back = await authorizeAtProvider(s.authorizationUrl.href, REDIRECT);
    return callback(back, cookie ? `${cookie}; ${s.binding}` : s.binding);
  }

  const sessionCookie = (res: Response) => pair(cookieNamed(res, 'acs_session'));
  const ssoError = (res: Response) => new URL(res.headers.location as string, 'http://x').searchParams.get('sso_error');

  async function auditOf(action: string): Promise<Array<{ outcome: string; targetId: string | null; details: Record<string, unknown> | null }>> {
    return (await t.http().get('/audit').query({ action, limit: 100 }).set(bearer(t.adminToken)).expect(200)).body.items;
  }

  it('tells the sign-in page that single sign-on is offered, and sends the browser to the provider with state, nonce and PKCE', async () => {
    const options = await t.http().get('/auth/oidc').expect(200);
    expect(options.body).toEqual({ enabled: true, displayName: 'Test IdP', startUrl: '/auth/oidc/start' });
    const s = await start();
    expect(s.authorizationUrl.origin).toBe(idp.issuer);
    const q = s.authorizationUrl.searchParams;
    expect(q.get('client_id')).toBe(idp.clientId);
    expect(q.get('redirect_uri')).toBe(REDIRECT);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('scope')).toBe('openid groups');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Lax/);
  });

  it('signs a person in: a session with the mapped role, the same account next time, audited by id only', async () => {
    const first = await signIn('idp-user-alice', ['staff', 'acs-guards']);
    expect(first.headers.location).toBe('/console/?sso=signed-in');
    const setCookie = cookieNamed(first, 'acs_session');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = sessionCookie(first);
    const me = await t.http().get('/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body).toMatchObject({ kind: 'staff', role: 'security' });
    // The provider did the second factor: the session is active, not waiting for a TOTP enrolment.
    const session = await t.http().get('/auth/session').set('Cookie', cookie).expect(200);
    expect(session.body.state).toBe('active');
    // A state-changing call with the cookie needs the CSRF token, as after a password sign-in.
    await t.http().post('/auth/sign-out').set('Cookie', cookie).expect(403);
    await t.http().post('/auth/sign-out').set('Cookie', cookie).set('X-CSRF-Token', session.body.csrfToken).expect(200);

    const again = await signIn('idp-user-alice', ['acs-guards']);
    const me2 = await t.http().get('/auth/me').set('Cookie', sessionCookie(again)).expect(200);
    expect(me2.body.staffId).toBe(me.body.staffId);

    const staff = (await t.http().get('/staff').set(bearer(t.adminToken)).expect(200)).body as Array<{ id: string; username: string; role: string }>;
    const account = staff.find((s) => s.id === me.body.staffId)!;
    expect(account.username).toMatch(/^sso-[0-9a-f]{20}$/);
    expect(account.role).toBe('security');

    const entries = (await auditOf('auth.oidc_sign_in')).filter((e) => e.targetId === me.body.staffId && e.outcome === 'success');
    expect(entries).toHaveLength(2);
    expect(entries[0].details).toMatchObject({ role: 'security' });
    const trail = JSON.stringify(await auditOf('auth.oidc_sign_in'));
    expect(trail).not.toContain('idp-user-alice');
    expect(trail).not.toContain('acs-guards');
  });

  it('applies a role changed at the provider on the next sign-in and ends the sessions of the old role', async () => {
    const before = sessionCookie(await signIn('idp-user-bert', ['acs-guards']));
    expect((await t.http().get('/auth/me').set('Cookie', before).expect(200)).body.role).toBe('security');
    // Rotation: the browser that held `before` signs in again and gets a new session.
    const after = await signIn('idp-user-bert', ['acs-admins', 'acs-guards'], before);
    const cookie = sessionCookie(after);
    expect(cookie).not.toBe(before);
    expect((await t.http().get('/auth/me').set('Cookie', cookie).expect(200)).body.role).toBe('admin');
    expect((await t.http().get('/auth/me').set('Cookie', before).expect(401)).body.code).toBe('auth.session_expired');
    const changed = (await auditOf('auth.oidc_sign_in')).find((e) => e.outcome === 'success' && e.details?.role === 'admin');
    expect(changed?.details).toMatchObject({ roleChanged: true, created: false });
  });

  it('refuses the identity of a disabled account', async () => {
    const first = await signIn('idp-user-erik', ['acs-guards']);
    const me = await t.http().get('/auth/me').set('Cookie', sessionCookie(first)).expect(200);
    await t
      .http()
      .post(`/staff/${me.body.staffId as string}/disable`)
      .set(bearer(t.adminToken))
      .expect(200);
    expect(ssoError(await signIn('idp-user-erik', ['acs-guards']))).toBe('auth.oidc_account_disabled');
    const denied = (await auditOf('auth.oidc_sign_in')).find((e) => e.outcome === 'denied' && e.details?.code === 'auth.oidc_account_disabled');
    expect(denied?.targetId).toBe(me.body.staffId);
  });

  it('refuses a person whose groups map to no role, and creates no account', async () => {
    const count = async () => ((await t.http().get('/staff').set(bearer(t.adminToken)).expect(200)).body as unknown[]).length;
    const staffBefore = await count();
    const res = await signIn('idp-user-visitor', ['visitors', 'ACS-ADMINS']);
    expect(ssoError(res)).toBe('auth.oidc_unmapped_role');
    expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('acs_session=');
    expect(await count()).toBe(staffBefore);
    const denied = (await auditOf('auth.oidc_sign_in')).filter((e) => e.outcome === 'denied').map((e) => e.details?.code);
    expect(denied).toContain('auth.oidc_unmapped_role');
  });

  it('takes a state once, and only from the browser it was given to', async () => {
    idp.signInAs({ sub: 'idp-user-carla', groups: ['dpo'] });
    const s = await start();
    const back = await authorizeAtProvider(s.authorizationUrl.href, REDIRECT);
    // Another browser (no binding cookie) presenting the answer: refused, and the state is spent.
    expect(ssoError(await callback(back))).toBe('auth.oidc_state_invalid');
    expect(ssoError(await callback(back, s.binding))).toBe('auth.oidc_state_invalid');

    const s2 = await start();
    const back2 = await authorizeAtProvider(s2.authorizationUrl.href, REDIRECT);
    const ok = await callback(back2, s2.binding);
    expect(ok.headers.location).toBe('/console/?sso=signed-in');
    // Replayed: the same answer a second time.
    const replay = await callback(back2, s2.binding);
    expect(ssoError(replay)).toBe('auth.oidc_state_invalid');
    expect(replay.headers['set-cookie']?.toString() ?? '').not.toContain('acs_session=');
    // A state never issued.
    const forged = new URL(back2);
    forged.searchParams.set('state', 'never-issued-state-value');
    expect(ssoError(await callback(forged, s2.binding))).toBe('auth.oidc_state_invalid');
  });

  it('refuses a code from another provider (mix-up: the iss of the answer is not the configured issuer)', async () => {
    other.signInAs({ sub: 'idp-user-alice', groups: ['acs-admins'] });
    const s = await start();
    // The same authorization request, sent to the second provider (same client registration there).
    const elsewhere = new URL(s.authorizationUrl);
    elsewhere.port = new URL(other.issuer).port;
    const back = await authorizeAtProvider(elsewhere.href, REDIRECT);
    expect(back.searchParams.get('iss')).toBe(other.issuer);
    const res = await callback(back, s.binding);
    expect(ssoError(res)).toBe('auth.oidc_wrong_issuer');
  });

  it('refuses an ID token that has expired by the server clock when it is checked', async () => {
    idp.signInAs({ sub: 'idp-user-dora', groups: ['acs-guards'] });
    const s = await start();
    const back = await authorizeAtProvider(s.authorizationUrl.href, REDIRECT);
    // The provider issues ID tokens for 60 s; five minutes later (within the state's 10) it is stale.
    t.clock.advance(5 * 60_000);
    try {
      expect(ssoError(await callback(back, s.binding))).toBe('auth.oidc_token_expired');
    } finally {
      t.clock.set(Date.now());
    }
    // And a state older than OIDC_STATE_TTL_MINUTES is refused before the provider is asked.
    const s2 = await start();
    const back2 = await authorizeAtProvider(s2.authorizationUrl.href, REDIRECT);
    t.clock.advance(11 * 60_000);
    try {
      expect(ssoError(await callback(back2, s2.binding))).toBe('auth.oidc_state_invalid');
    } finally {
      t.clock.set(Date.now());
    }
    const denied = (await auditOf('auth.oidc_sign_in')).filter((e) => e.outcome === 'denied').map((e) => e.details?.code);
    expect(denied).toEqual(expect.arrayContaining(['auth.oidc_token_expired', 'auth.oidc_state_invalid', 'auth.oidc_wrong_issuer']));
  });

  it('never writes the codes, tokens or the provider’s claims to the logs', () => {
    const logs = t.logs.text();
    for (const s of [...secrets, 'idp-user-alice', 'acs-guards']) expect(logs).not.toContain(s);
  });
});

describe('single sign-on switched off or out of reach', () => {
  let off: TestApp;
  let dead: TestApp;

  beforeAll(async () => {
    off = await startTestApp();
    // A loopback port nobody listens on any more: discovery fails with a refused connection.
    const gone = await startTestIdp({ redirectUri: REDIRECT });
    await gone.close();
    dead = await startTestApp({
      env: { OIDC_ISSUER: gone.issuer, OIDC_CLIENT_ID: 'acs', OIDC_REDIRECT_URL: REDIRECT, OIDC_ROLE_MAP: ROLE_MAP },
    });
  }, 60_000);
  afterAll(async () => {
    await off?.close();
    await dead?.close();
  });

  it('says so when OIDC_ISSUER is unset, and the start answers a problem', async () => {
    expect((await off.http().get('/auth/oidc').expect(200)).body).toEqual({ enabled: false, displayName: null, startUrl: null });
    const res = await off.http().get('/auth/oidc/start').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('auth.oidc_not_configured');
    expect((await off.http().get('/auth/oidc/callback?code=x&state=y').expect(404)).body.code).toBe('auth.oidc_not_configured');
  });

  it('sends the browser back to the console when the provider cannot be reached', async () => {
    const res = await dead.http().get('/auth/oidc/start').expect(303);
    expect(res.headers.location).toBe('/console/?sso_error=auth.oidc_provider_unreachable');
  });
});
