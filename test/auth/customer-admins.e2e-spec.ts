import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import type { Response } from 'supertest';
import { bearer, createCustomer, createPerson, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';
const NEW_PASSWORD = 'amber kettle drift lantern';

interface Signed {
  cookie: string;
  csrf: string;
}

function cookieOf(res: Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const c = set.find((h) => h.startsWith('acs_session='));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return c.split(';')[0];
}

/**
 * Customer administrators (issue 19): accounts a datacenter admin creates for a customer's own
 * people, signing in like staff (password, optional second factor, lock-out, sessions with CSRF)
 * but reaching only their own customer's routes, exactly like that customer's tokens.
 * STAFF_TOTP_REQUIRED stays at its default (true): it must not apply to them.
 */
describe('customer administrators', () => {
  let t: TestApp;
  let a: { id: string };
  let b: { id: string };
  let personOfB: { id: string };
  let seq = 0;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { SIGN_IN_ACCOUNT_FAILURE_LIMIT: '3', AUTH_FAILURE_LIMIT: '100' } });
    a = await createCustomer(t);
    b = await createCustomer(t, { contact: { name: 'Contact of B' } });
    await createPerson(t, a.id, { fullName: 'Person of A' });
    personOfB = await createPerson(t, b.id, { fullName: 'Person of B' });
  });
  afterAll(() => t.close());

  async function customerAdmin(customerId = a.id): Promise<{ id: string; username: string }> {
    const username = `cadmin-${++seq}`;
    const created = await t.http().post(`/customers/${customerId}/admins`).set(bearer(t.adminToken)).send({ username }).expect(201);
    expect(created.body.account).toMatchObject({ id: created.body.id, role: 'customer_admin', customerId, disabledAt: null });
    secrets.push(created.body.passwordReset.resetToken);
    await t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    return { id: created.body.id as string, username };
  }

  const signIn = (body: Record<string, unknown>) => t.http().post('/auth/sign-in').send(body);

  async function signedIn(username: string, extra: Record<string, unknown> = {}): Promise<Signed> {
    const res = await signIn({ username, password: PASSWORD, ...extra }).expect(200);
    // Not made to enrol a second factor, whatever STAFF_TOTP_REQUIRED says for staff.
    expect(res.body.state).toBe('active');
    return { cookie: cookieOf(res), csrf: res.body.csrfToken as string };
  }

  it('signs in with a password set through the one-time link, as a principal scoped to its customer', async () => {
    const ca = await customerAdmin();
    const s = await signedIn(ca.username);
    const me = await t.http().get('/auth/me').set('Cookie', s.cookie).expect(200);
    expect(me.body).toMatchObject({ kind: 'customer', customerId: a.id, staffId: ca.id, role: 'customer_admin' });
    await t.http().get(`/customers/${a.id}`).set('Cookie', s.cookie).expect(200);
    const people = await t.http().get(`/customers/${a.id}/people`).set('Cookie', s.cookie).expect(200);
    expect(people.body.items.map((p: { fullName: string }) => p.fullName)).toEqual(['Person of A']);
    // Its own account's routes work: sessions, TOTP status, passkeys.
    await t.http().get('/auth/sessions').set('Cookie', s.cookie).expect(200);
    expect((await t.http().get('/auth/totp').set('Cookie', s.cookie).expect(200)).body).toEqual({ staffId: ca.id, enrolled: false });
    await t.http().get('/auth/passkeys').set('Cookie', s.cookie).expect(200);
  });

  describe('refuses what a customer token is refused', () => {
    let s: Signed;
    beforeAll(async () => {
      s = await signedIn((await customerAdmin()).username);
    });

    it.each([
      ['another customer', (): string => `/customers/${b.id}`, 403],
      ["another customer's people", (): string => `/customers/${b.id}/people`, 403],
      ["another customer's person by id", (): string => `/customers/${b.id}/people/${personOfB.id}`, 403],
      ["another customer's person under its own customer id", (): string => `/customers/${a.id}/people/${personOfB.id}`, 404],
      ["another customer's grants", (): string => `/customers/${b.id}/grants`, 403],
      ['the customer list', (): string => '/customers', 403],
      ['the people search', (): string => '/people?q=a', 403],
      ['the account list', (): string => '/staff', 403],
      ['the audit trail', (): string => '/audit', 403],
    ])('%s', async (_what, path, status) => {
      const res = await t.http().get(path()).set('Cookie', s.cookie).expect(status);
      expect(JSON.stringify(res.body)).not.toContain('Contact of B');
      expect(JSON.stringify(res.body)).not.toContain('Person of B');
    });

    it('writes staff may make, even with its CSRF token', async () => {
      const write = (path: string, body: object) => t.http().post(path).set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).send(body);
      expect((await write(`/customers/${a.id}/people`, { fullName: 'Sneaky' }).expect(403)).body.code).toBe('auth.forbidden');
      expect((await write(`/customers/${a.id}/admins`, { username: 'self-made' }).expect(403)).body.code).toBe('auth.forbidden');
      expect((await write(`/customers/${a.id}/tokens`, {}).expect(403)).body.code).toBe('auth.forbidden');
      expect((await write('/staff', { username: 'self-made', role: 'admin' }).expect(403)).body.code).toBe('auth.forbidden');
    });

    it('a state change without its CSRF token', async () => {
      expect((await t.http().post('/auth/sign-out').set('Cookie', s.cookie).expect(403)).body.code).toBe('auth.csrf_failed');
    });
  });

  it('lets only an admin create one, for a customer that exists, under a free and valid username', async () => {
    const security = await t.tokenFor('security');
    await t.http().post(`/customers/${a.id}/admins`).set(bearer(security)).send({ username: 'by-security' }).expect(403);
    const customerToken = (await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal' })).token;
    await t.http().post(`/customers/${a.id}/admins`).set(bearer(customerToken)).send({ username: 'by-token' }).expect(403);
    // A customer token has no account: the person's own-account routes refuse it.
    expect((await t.http().get('/auth/sessions').set(bearer(customerToken)).expect(403)).body.code).toBe('auth.forbidden');
    const missing = await t.http().post('/customers/3f0c7c39-2a4f-4c39-9a59-00000000dead/admins').set(bearer(t.adminToken)).send({ username: 'nobody-s' });
    expect(missing.status).toBe(404);
    expect((await t.http().post(`/customers/${a.id}/admins`).set(bearer(t.adminToken)).send({ username: 'Not Valid!' }).expect(400)).body.code).toBe(
      'validation.failed',
    );
    const ca = await customerAdmin();
    const taken = await t.http().post(`/customers/${b.id}/admins`).set(bearer(t.adminToken)).send({ username: ca.username }).expect(409);
    expect(taken.body.code).toBe('staff.username_taken');
    // A person who signs in gets no bearer token: automation for a customer uses customer tokens.
    const token = await t.http().post(`/staff/${ca.id}/tokens`).set(bearer(t.adminToken)).send({}).expect(409);
    expect(token.body.code).toBe('staff.customer_admin_no_token');
  });

  it('ends a disabled account’s sessions and sign-ins, and lets an enabled one sign in again', async () => {
    const ca = await customerAdmin();
    const s = await signedIn(ca.username);
    const disabled = await t.http().post(`/staff/${ca.id}/disable`).set(bearer(t.adminToken)).expect(200);
    expect(disabled.body.disabledAt).not.toBeNull();
    expect((await t.http().get(`/customers/${a.id}`).set('Cookie', s.cookie).expect(401)).body.code).toBe('auth.session_expired');
    expect((await signIn({ username: ca.username, password: PASSWORD }).expect(401)).body.code).toBe('auth.bad_credentials');
    await t.http().post(`/staff/${ca.id}/password-reset`).set(bearer(t.adminToken)).expect(404);
    const enabled = await t.http().post(`/staff/${ca.id}/enable`).set(bearer(t.adminToken)).expect(200);
    expect(enabled.body.disabledAt).toBeNull();
    // The old session stays ended; a new sign-in works.
    await t.http().get(`/customers/${a.id}`).set('Cookie', s.cookie).expect(401);
    await signedIn(ca.username);
  });

  it('locks the account after SIGN_IN_ACCOUNT_FAILURE_LIMIT wrong passwords, and only that account', async () => {
    const ca = await customerAdmin();
    const other = await customerAdmin();
    for (let i = 0; i < 3; i++) {
      expect((await signIn({ username: ca.username, password: `wrong password ${i}` }).expect(401)).body.code).toBe('auth.bad_credentials');
    }
    const locked = await signIn({ username: ca.username, password: PASSWORD }).expect(429);
    expect(locked.body.code).toBe('auth.account_locked');
    expect(locked.body.retryAfterSeconds).toBeGreaterThan(0);
    await signedIn(other.username);
  });

  it('takes a reset link once; a newer link cancels the older', async () => {
    const ca = await customerAdmin();
    const first = await t.http().post(`/staff/${ca.id}/password-reset`).set(bearer(t.adminToken)).expect(201);
    const second = await t.http().post(`/staff/${ca.id}/password-reset`).set(bearer(t.adminToken)).expect(201);
    secrets.push(first.body.resetToken, second.body.resetToken);
    const use = (token: string, newPassword: string) => t.http().post('/auth/password-reset').send({ token, newPassword });
    expect((await use(first.body.resetToken, NEW_PASSWORD).expect(400)).body.code).toBe('password.reset_invalid');
    expect((await use(second.body.resetToken, 'short').expect(400)).body.code).toBe('password.too_short');
    expect((await use(second.body.resetToken, `${ca.username} forever`).expect(400)).body.code).toBe('password.same_as_username');
    await use(second.body.resetToken, NEW_PASSWORD).expect(200);
    expect((await use(second.body.resetToken, PASSWORD).expect(400)).body.code).toBe('password.reset_invalid');
    await signIn({ username: ca.username, password: NEW_PASSWORD }).expect(200);
  });

  it('may set up TOTP, which the next sign-in then asks for; the admin sees it in the account list', async () => {
    const ca = await customerAdmin();
    const s = await signedIn(ca.username);
    const started = await t.http().post('/auth/totp/enrolment').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).expect(201);
    const secret = new URL(started.body.otpauthUri as string).searchParams.get('secret')!;
    secrets.push(secret);
    const code = await generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) });
    await t.http().post('/auth/totp/enrolment/confirm').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).send({ code }).expect(200);
    expect((await signIn({ username: ca.username, password: PASSWORD }).expect(401)).body.code).toBe('auth.totp_required');
    t.clock.advance(30_000);
    await signedIn(ca.username, { totpCode: await generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) }) });

    const list = await t.http().get('/staff').set(bearer(t.adminToken)).expect(200);
    const row = (list.body as Array<Record<string, unknown>>).find((r) => r.id === ca.id);
    expect(row).toMatchObject({ role: 'customer_admin', customerId: a.id, passwordSet: true, totp: true, passkeys: 0 });
    const admin = (list.body as Array<Record<string, unknown>>).find((r) => r.role === 'admin');
    expect(admin).toMatchObject({ customerId: null, passwordSet: false });
  });

  it('creates a staff account that signs in with a password: a reset token instead of a bearer token', async () => {
    const created = await t
      .http()
      .post('/staff')
      .set(bearer(t.adminToken))
      .send({ username: 'desk-by-link', role: 'security', firstCredential: 'password_reset' })
      .expect(201);
    expect(created.body.token).toBeUndefined();
    expect(created.body.passwordReset.resetToken).toMatch(/^acsr_/);
    secrets.push(created.body.passwordReset.resetToken);
    const tokens = await t.http().get('/tokens').query({ staffId: created.body.id }).set(bearer(t.adminToken)).expect(200);
    expect(tokens.body).toEqual([]);
    await t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    // Staff, unlike a customer administrator, must enrol a second factor first (STAFF_TOTP_REQUIRED).
    expect((await signIn({ username: 'desk-by-link', password: PASSWORD }).expect(200)).body.state).toBe('totp_enrolment');
  });

  it('audits by ids: the creation names the account, sign-ins the account, never usernames, passwords or tokens', async () => {
    const ca = await customerAdmin();
    await signedIn(ca.username);
    const audit = await t.http().get('/audit').query({ limit: 500 }).set(bearer(t.adminToken)).expect(200);
    const items = audit.body.items as Array<{ action: string; targetId: string | null; actorType: string; actorId: string | null; outcome: string }>;
    expect(items.find((i) => i.action === 'customer_admin.create' && i.targetId === ca.id)).toMatchObject({ outcome: 'success', actorType: 'staff' });
    expect(items.find((i) => i.action === 'auth.sign_in' && i.targetId === ca.id && i.outcome === 'success')).toMatchObject({
      actorType: 'customer_admin',
      actorId: ca.id,
    });
    for (const hay of [t.logs.text(), JSON.stringify(audit.body)]) {
      expect([PASSWORD, NEW_PASSWORD, ...secrets].filter((n) => hay.includes(n))).toEqual([]);
      expect(hay).not.toMatch(/cadmin-\d/);
    }
  });
});
