import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import { generate } from 'otplib';
import { DataSource } from 'typeorm';
import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const PASSWORD = 'violet staple orbit canyon';
const NEW_PASSWORD = 'amber kettle drift lantern';

interface Staff {
  id: string;
  username: string;
}

/** The session cookie the response set (name=value only). */
function cookieOf(res: Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const c = set.find((h) => h.startsWith('acs_session='));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return c.split(';')[0];
}

/**
 * Sign-in for people over HTTP: passwords set through a one-time reset token, sign-in refusals
 * with their problem codes, TOTP enrolment demanded before anything else, CSRF on cookie
 * requests, session timeouts on the injected clock, sign-out, and what reaches logs and audit.
 */
describe('staff sign-in', () => {
  let t: TestApp;
  const secrets: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    // TRUST_PROXY: supertest connects over loopback, so X-Forwarded-For/-Proto act as a TLS proxy would.
    t = await startTestApp({ env: { SIGN_IN_ACCOUNT_FAILURE_LIMIT: '3', AUTH_FAILURE_LIMIT: '30', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  async function staffWithPassword(role = 'security'): Promise<Staff> {
    const username = `signin-${role}-${++seq}`;
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username, role }).expect(201);
    secrets.push(created.body.token.token);
    const reset = await t.http().post(`/staff/${created.body.id}/password-reset`).set(bearer(t.adminToken)).expect(201);
    secrets.push(reset.body.resetToken);
    await t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(200);
    return { id: created.body.id, username };
  }

  const signIn = (body: Record<string, unknown>) => t.http().post('/auth/sign-in').send(body);
  const codeAt = (secret: string, offsetS = 0) => generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) + offsetS });

  async function enrol(staff: Staff): Promise<{ cookie: string; csrf: string; secret: string; recoveryCodes: string[] }> {
    const first = await signIn({ username: staff.username, password: PASSWORD }).expect(200);
    expect(first.body.state).toBe('totp_enrolment');
    const cookie = cookieOf(first);
    const started = await t.http().post('/auth/totp/enrolment').set('Cookie', cookie).set('X-CSRF-Token', first.body.csrfToken).expect(201);
    const secret = new URL(started.body.otpauthUri).searchParams.get('secret')!;
    secrets.push(secret);
    expect(started.body.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    const confirmed = await t
      .http()
      .post('/auth/totp/enrolment/confirm')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', first.body.csrfToken)
      .send({ code: await codeAt(secret) })
      .expect(200);
    secrets.push(...confirmed.body.recoveryCodes);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    // Rotated: the enrolment-only session is gone, the new cookie works.
    const rotated = cookieOf(confirmed);
    expect(rotated).not.toBe(cookie);
    await t.http().get('/auth/sessions').set('Cookie', cookie).expect(401);
    return { cookie: rotated, csrf: confirmed.body.csrfToken, secret, recoveryCodes: confirmed.body.recoveryCodes };
  }

  it('refuses passwords the policy refuses, with their codes', async () => {
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'policy-check', role: 'auditor' }).expect(201);
    const reset = await t.http().post(`/staff/${created.body.id}/password-reset`).set(bearer(t.adminToken)).expect(201);
    const attempt = (newPassword: string) => t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword });
    expect((await attempt('short').expect(400)).body.code).toBe('password.too_short');
    expect((await attempt('motherfucker').expect(400)).body.code).toBe('password.common');
    expect((await attempt('policy-check is me').expect(400)).body.code).toBe('password.same_as_username');
    await attempt(PASSWORD).expect(200);
    // one time only
    expect((await attempt(NEW_PASSWORD).expect(400)).body.code).toBe('password.reset_invalid');
  });

  it('refuses a wrong password and an unknown user alike, then locks only that account', async () => {
    const a = await staffWithPassword();
    const b = await staffWithPassword();
    const wrong = await signIn({ username: a.username, password: 'not the password at all' }).expect(401);
    expect(wrong.body.code).toBe('auth.bad_credentials');
    const unknown = await signIn({ username: 'nobody-here', password: PASSWORD }).expect(401);
    expect(unknown.body).toMatchObject({ code: 'auth.bad_credentials', detail: wrong.body.detail });
    await signIn({ username: a.username, password: 'still wrong password' }).expect(401);
    await signIn({ username: a.username, password: 'third wrong password' }).expect(401);
    const locked = await signIn({ username: a.username, password: PASSWORD }).expect(429);
    expect(locked.body.code).toBe('auth.account_locked');
    expect(locked.body.retryAfterSeconds).toBeGreaterThan(0);
    // another account from the same address is not affected
    expect((await signIn({ username: b.username, password: PASSWORD }).expect(200)).body.state).toBe('totp_enrolment');
  });

  it('demands TOTP enrolment before any other route, and CSRF tokens on state changes', async () => {
    const s = await staffWithPassword('admin');
    const res = await signIn({ username: s.username, password: PASSWORD }).expect(200);
    const cookie = cookieOf(res);
    expect(res.headers['set-cookie']!.toString()).toMatch(/HttpOnly/);
    expect(res.headers['set-cookie']!.toString()).toMatch(/SameSite=Strict/);
    expect((await t.http().get('/staff').set('Cookie', cookie).expect(403)).body.code).toBe('auth.totp_enrolment_required');
    expect((await t.http().post('/auth/totp/enrolment').set('Cookie', cookie).expect(403)).body.code).toBe('auth.csrf_failed');
    expect((await t.http().post('/auth/totp/enrolment').set('Cookie', cookie).set('X-CSRF-Token', 'forged').expect(403)).body.code).toBe('auth.csrf_failed');
    await t.http().get('/auth/session').set('Cookie', cookie).expect(200);
  });

  it('signs in with TOTP, refuses a replayed code and a wrong one, and takes a recovery code once', async () => {
    const s = await staffWithPassword('admin');
    const { cookie, secret, recoveryCodes } = await enrol(s);
    await t.http().get('/staff').set('Cookie', cookie).expect(200);

    expect((await signIn({ username: s.username, password: PASSWORD }).expect(401)).body.code).toBe('auth.totp_required');
    t.clock.advance(30_000);
    const code = await codeAt(secret);
    const ok = await signIn({ username: s.username, password: PASSWORD, totpCode: code }).expect(200);
    expect(ok.body.state).toBe('active');
    expect((await signIn({ username: s.username, password: PASSWORD, totpCode: code }).expect(401)).body.code).toBe('auth.totp_invalid');
    t.clock.advance(30_000);
    // two steps ahead is outside the ±1 window
    expect((await signIn({ username: s.username, password: PASSWORD, totpCode: await codeAt(secret, 60) }).expect(401)).body.code).toBe('auth.totp_invalid');
    await signIn({ username: s.username, password: PASSWORD, recoveryCode: recoveryCodes[0] }).expect(200);
    expect((await signIn({ username: s.username, password: PASSWORD, recoveryCode: recoveryCodes[0] }).expect(401)).body.code).toBe('auth.totp_invalid');
  });

  it('ends sessions after the idle and the absolute timeout', async () => {
    const s = await staffWithPassword();
    const { cookie } = await enrol(s);
    t.clock.advance(29 * 60_000);
    await t.http().get('/auth/sessions').set('Cookie', cookie).expect(200);
    t.clock.advance(30 * 60_000);
    expect((await t.http().get('/auth/sessions').set('Cookie', cookie).expect(401)).body.code).toBe('auth.session_expired');

    t.clock.advance(60_000);
    const again = await enrolAgainOrSignIn(s);
    // Busy every 15 minutes: never idle, yet over at 12 hours (SESSION_ABSOLUTE_HOURS).
    for (let i = 0; i < 12 * 4 - 1; i++) {
      t.clock.advance(15 * 60_000);
      await t.http().get('/auth/sessions').set('Cookie', again).expect(200);
    }
    t.clock.advance(15 * 60_000);
    expect((await t.http().get('/auth/sessions').set('Cookie', again).expect(401)).body.code).toBe('auth.session_expired');
  });

  async function enrolAgainOrSignIn(s: Staff): Promise<string> {
    // The account is enrolled; an admin reset lets the next sign-in enrol afresh.
    await t.http().post(`/staff/${s.id}/totp/reset`).set(bearer(t.adminToken)).expect(200);
    return (await enrol(s)).cookie;
  }

  it('lists, revokes and signs out everywhere', async () => {
    const s = await staffWithPassword();
    const first = await enrol(s);
    const listed = await t.http().get('/auth/sessions').set('Cookie', first.cookie).expect(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0].current).toBe(true);
    t.clock.advance(30_000);
    const second = await signIn({ username: s.username, password: PASSWORD, totpCode: await codeAt(first.secret) }).expect(200);
    const cookie2 = cookieOf(second);
    expect((await t.http().get('/auth/sessions').set('Cookie', cookie2).expect(200)).body).toHaveLength(2);
    await t.http().post('/auth/sign-out-everywhere').set('Cookie', cookie2).expect(403);
    const out = await t.http().post('/auth/sign-out-everywhere').set('Cookie', cookie2).set('X-CSRF-Token', second.body.csrfToken).expect(200);
    expect(out.body.revoked).toBe(2);
    await t.http().get('/auth/sessions').set('Cookie', first.cookie).expect(401);
    await t.http().get('/auth/sessions').set('Cookie', cookie2).expect(401);
  });

  it('changes a password with the current one only, and rotates the session', async () => {
    const s = await staffWithPassword();
    const e = await enrol(s);
    const wrong = await t
      .http()
      .post('/auth/password')
      .set('Cookie', e.cookie)
      .set('X-CSRF-Token', e.csrf)
      .send({ currentPassword: 'not it at all', newPassword: NEW_PASSWORD })
      .expect(403);
    expect(wrong.body.code).toBe('password.current_wrong');
    const ok = await t
      .http()
      .post('/auth/password')
      .set('Cookie', e.cookie)
      .set('X-CSRF-Token', e.csrf)
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(200);
    await t.http().get('/auth/sessions').set('Cookie', e.cookie).expect(401);
    await t.http().get('/auth/sessions').set('Cookie', cookieOf(ok)).expect(200);
  });

  it('signs in with a password stored by the earlier binding at the earlier parameters, and stores it again at the current ones', async () => {
    const s = await staffWithPassword();
    const ds = t.app.get(DataSource);
    // What sign-ins stored before: the argon2 binding's PHC string at 46 MiB x 2.
    const earlier = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 47_104, timeCost: 2, parallelism: 1 });
    const p = (n: number) => (ds.options.type === 'postgres' ? `$${n}` : '?');
    await ds.query(`UPDATE staff_credential SET password_hash = ${p(1)} WHERE staff_id = ${p(2)}`, [earlier, s.id]);
    await signIn({ username: s.username, password: PASSWORD }).expect(200);
    const stored = async () =>
      ((await ds.query(`SELECT password_hash AS h FROM staff_credential WHERE staff_id = ${p(1)}`, [s.id])) as Array<{ h: string }>)[0]!.h;
    // The re-hash runs after the answer.
    for (let i = 0; i < 50 && (await stored()) === earlier; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    await signIn({ username: s.username, password: PASSWORD }).expect(200);
    await signIn({ username: s.username, password: 'not the password at all' }).expect(401);
  });

  it('answers the remaining refusals with their codes', async () => {
    const s = await staffWithPassword();
    const e = await enrol(s);
    const post = (path: string, body: object = {}) => t.http().post(path).set('Cookie', e.cookie).set('X-CSRF-Token', e.csrf).send(body);
    expect((await post('/auth/totp/enrolment').expect(409)).body.code).toBe('totp.already_enrolled');
    expect((await post('/auth/totp/enrolment/confirm', { code: '000000' }).expect(409)).body.code).toBe('totp.no_pending_enrolment');
    expect((await post('/auth/totp/disable', { code: '000000' }).expect(400)).body.code).toBe('totp.invalid_code');
    expect((await post('/auth/password', { currentPassword: PASSWORD, newPassword: 'x'.repeat(300) }).expect(400)).body.code).toBe('password.too_long');
    const missing = await t
      .http()
      .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
      .set('Cookie', e.cookie)
      .set('X-CSRF-Token', e.csrf)
      .expect(404);
    expect(missing.body.code).toBe('session.not_found');
    expect((await t.http().post('/auth/sign-out').set(bearer(t.adminToken)).expect(400)).body.code).toBe('auth.no_session');
    expect((await signIn({ username: s.username, password: PASSWORD, totpCode: '12ab56' }).expect(400)).body.code).toBe('validation.failed');
    // disabling with a recovery code works; the next sign-in asks for enrolment again
    await post('/auth/totp/disable', { recoveryCode: e.recoveryCodes[3] }).expect(200);
    expect((await signIn({ username: s.username, password: PASSWORD }).expect(200)).body.state).toBe('totp_enrolment');
    // a disabled account signs in like an unknown one
    await t.http().post(`/staff/${s.id}/disable`).set(bearer(t.adminToken)).expect(200);
    expect((await signIn({ username: s.username, password: PASSWORD }).expect(401)).body.code).toBe('auth.bad_credentials');
    expect((await t.http().get('/auth/sessions').set('Cookie', e.cookie).expect(401)).body.code).toBe('auth.session_expired');
  });

  it('refuses a sign-in posted by a page of another origin (login CSRF), not one from its own', async () => {
    const s = await staffWithPassword();
    const body = { username: s.username, password: PASSWORD };
    const foreign = await signIn(body).set('Origin', 'https://evil.example').expect(403);
    expect(foreign.body.code).toBe('auth.cross_origin');
    expect(foreign.headers['set-cookie']).toBeUndefined();
    expect((await signIn(body).set('Origin', 'null').expect(403)).body.code).toBe('auth.cross_origin');
    // the console's own page: Origin names the host the request is addressed to
    await signIn(body).set('Host', 'acs.example:8443').set('Origin', 'https://acs.example:8443').expect(200);
    expect((await signIn(body).set('Host', 'acs.example:8443').set('Origin', 'https://acs.example').expect(403)).body.code).toBe('auth.cross_origin');
  });

  it('counts wrong current passwords and wrong codes from a signed-in session against the account', async () => {
    const s = await staffWithPassword();
    const e = await enrol(s);
    const post = (path: string, body: object) => t.http().post(path).set('Cookie', e.cookie).set('X-CSRF-Token', e.csrf).send(body);
    await post('/auth/totp/disable', { code: '000000' }).expect(400);
    await post('/auth/password', { currentPassword: 'guess number two', newPassword: NEW_PASSWORD }).expect(403);
    await post('/auth/totp/disable', { code: '111111' }).expect(400);
    const locked = await post('/auth/totp/disable', { code: await codeAt(e.secret, 30) }).expect(429);
    expect(locked.body.code).toBe('auth.account_locked');
    expect((await signIn({ username: s.username, password: PASSWORD }).expect(429)).body.code).toBe('auth.account_locked');
  });

  it('marks the cookie Secure and __Host- behind a TLS proxy', async () => {
    const s = await staffWithPassword();
    const res = await signIn({ username: s.username, password: PASSWORD }).set('X-Forwarded-Proto', 'https').expect(200);
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join('\n');
    expect(set).toMatch(/^__Host-acs_session=acss_[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/m);
  });

  it('rate-limits an address after too many failures, for every account, but not other addresses', async () => {
    const s = await staffWithPassword();
    const from = (ip: string, username: string, password: string) => signIn({ username, password }).set('X-Forwarded-For', ip);
    for (let i = 0; i < 30; i++) await from('198.51.100.9', `guess-${i}`, 'wrong password here').expect(401);
    const blocked = await from('198.51.100.9', s.username, PASSWORD).expect(429);
    expect(blocked.body.code).toBe('auth.rate_limited');
    await from('198.51.100.10', s.username, PASSWORD).expect(200);
  });

  it('keeps passwords, TOTP secrets, recovery codes and session cookies out of logs and the audit trail', async () => {
    const audit = await t.http().get('/audit').query({ limit: 500 }).set(bearer(t.adminToken)).expect(200);
    const actions = new Set((audit.body.items as Array<{ action: string }>).map((i) => i.action));
    expect([...actions]).toEqual(expect.arrayContaining(['auth.sign_in', 'auth.account_locked', 'auth.totp_enrol', 'auth.sign_out_everywhere']));
    const failures = (audit.body.items as Array<{ action: string; outcome: string; details: { code?: string } | null }>).filter(
      (i) => i.action === 'auth.sign_in' && i.outcome === 'failure',
    );
    expect(failures.map((f) => f.details?.code)).toEqual(expect.arrayContaining(['auth.bad_credentials', 'auth.totp_invalid']));
    const haystacks = [t.logs.text(), JSON.stringify(audit.body)];
    const needles = [PASSWORD, NEW_PASSWORD, ...secrets, ...secrets.map((x) => x.replace(/-/g, ''))];
    for (const hay of haystacks) {
      expect(needles.filter((n) => hay.includes(n))).toEqual([]);
      expect(hay).not.toMatch(/acss_[A-Za-z0-9_-]{20,}/);
      expect(hay).not.toMatch(/signin-(security|admin)-\d/);
    }
  });
});
