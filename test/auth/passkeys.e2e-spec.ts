import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { SoftAuthenticator, type CeremonyOverrides, type SoftCredential } from '../support/soft-authenticator.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const PASSWORD = 'violet staple orbit canyon';
const RP_ID = 'acs.example.test';
const ORIGIN = `https://${RP_ID}`;

interface Staff {
  id: string;
  username: string;
}
interface Signed {
  cookie: string;
  csrf: string;
}

function cookieOf(res: Response): string {
  const c = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((h) => h.startsWith('acs_session='));
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0];
}

/**
 * Passkeys over HTTP with a software authenticator (test/support/soft-authenticator.ts): the
 * registration from a session that must enrol a second factor, the sign-in's passkey step, and
 * one refusal per problem code, each spoiling exactly one part of an otherwise good response.
 */
describe('passkeys', () => {
  let t: TestApp;
  const authenticator = new SoftAuthenticator(ORIGIN);
  const secrets: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, AUTH_FAILURE_LIMIT: '200', SIGN_IN_ACCOUNT_FAILURE_LIMIT: '3' } });
  });
  afterAll(() => t.close());

  async function staffWithPassword(): Promise<Staff> {
    const username = `passkey-user-${++seq}`;
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username, role: 'security' }).expect(201);
    const reset = await t.http().post(`/staff/${created.body.id}/password-reset`).set(bearer(t.adminToken)).expect(201);
    await t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(200);
    return { id: created.body.id, username };
  }

  const post = (path: string, s: Signed) => t.http().post(path).set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf);

  async function signInWithPassword(staff: Staff): Promise<Signed & { state: string }> {
    const res = await t.http().post('/auth/sign-in').send({ username: staff.username, password: PASSWORD }).expect(200);
    return { cookie: cookieOf(res), csrf: res.body.csrfToken, state: res.body.state };
  }

  async function register(s: Signed, cred: SoftCredential, o: CeremonyOverrides = {}, label = 'desk laptop'): Promise<Response> {
    const options = await post('/auth/passkeys/registration/options', s).expect(200);
    expect(options.body.options.rp).toEqual({ id: RP_ID, name: 'ACS' });
    return post('/auth/passkeys/registration', s).send({ label, credential: authenticator.attest(options.body.options, cred, o) });
  }

  /** A staff member with one registered passkey, signed out again (the registering session is kept for later calls). */
  async function staffWithPasskey(): Promise<{ staff: Staff; cred: SoftCredential; session: Signed; passkeyId: string }> {
    const staff = await staffWithPassword();
    const first = await signInWithPassword(staff);
    const cred = authenticator.newCredential();
    const done = await register(first, cred);
    expect(done.status).toBe(200);
    return { staff, cred, session: { cookie: cookieOf(done), csrf: done.body.csrfToken }, passkeyId: done.body.id };
  }

  async function passkeyOptions(
    staff: Staff,
  ): Promise<{ pendingToken: string; options: { challenge: string; rpId: string; allowCredentials: Array<{ id: string }> } }> {
    const res = await t.http().post('/auth/sign-in/passkey/options').send({ username: staff.username, password: PASSWORD }).expect(200);
    secrets.push(res.body.pendingToken);
    return res.body;
  }

  async function signInWithPasskey(staff: Staff, cred: SoftCredential, o: CeremonyOverrides = {}): Promise<Response> {
    const { pendingToken, options } = await passkeyOptions(staff);
    return t
      .http()
      .post('/auth/sign-in/passkey')
      .send({ pendingToken, credential: authenticator.assert(options, cred, o) });
  }

  it('registers a passkey from a session that must enrol a second factor, which then becomes active under a new cookie', async () => {
    const staff = await staffWithPassword();
    const first = await signInWithPassword(staff);
    expect(first.state).toBe('totp_enrolment');
    const cred = authenticator.newCredential();
    const done = await register(first, cred);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ label: 'desk laptop', transports: ['internal'], lastUsedAt: null, state: 'active' });
    // Rotated, like the TOTP confirmation: the enrolment-only session is gone.
    await t.http().get('/auth/sessions').set('Cookie', first.cookie).expect(401);
    const rotated = { cookie: cookieOf(done), csrf: done.body.csrfToken as string };
    const list = await t.http().get('/auth/passkeys').set('Cookie', rotated.cookie).expect(200);
    expect(list.body).toEqual([expect.objectContaining({ id: done.body.id, label: 'desk laptop' })]);
    expect(JSON.stringify(list.body)).not.toContain(cred.id.toString('base64url'));
    // The same authenticator again: the options exclude it, and the server refuses a duplicate.
    const again = await register(rotated, cred);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('passkey.already_registered');
  });

  it('asks a passkey-only account for its passkey after the password, signs in with it and records its use', async () => {
    const { staff, cred, passkeyId } = await staffWithPasskey();
    const bare = await t.http().post('/auth/sign-in').send({ username: staff.username, password: PASSWORD }).expect(401);
    expect(bare.body).toMatchObject({ code: 'auth.passkey_required', factors: ['passkey'] });
    const { pendingToken, options } = await passkeyOptions(staff);
    expect(options.rpId).toBe(RP_ID);
    expect(options.allowCredentials.map((c) => c.id)).toEqual([cred.id.toString('base64url')]);
    const assertion = authenticator.assert(options, cred);
    const signed = await t.http().post('/auth/sign-in/passkey').send({ pendingToken, credential: assertion }).expect(200);
    expect(signed.body.state).toBe('active');
    const me = await t.http().get('/auth/me').set('Cookie', cookieOf(signed)).expect(200);
    expect(me.body.staffId).toBe(staff.id);
    const list = await t.http().get('/auth/passkeys').set('Cookie', cookieOf(signed)).expect(200);
    expect(list.body[0].lastUsedAt).toBe(t.clock.now().toISOString());
    // The pending sign-in is spent: the same assertion a second time is refused.
    const replay = await t.http().post('/auth/sign-in/passkey').send({ pendingToken, credential: assertion }).expect(401);
    expect(replay.body.code).toBe('passkey.challenge_missing');
    const audit = await t.http().get('/audit').query({ limit: 500 }).set(bearer(t.adminToken)).expect(200);
    const items = audit.body.items as Array<{ action: string; outcome: string; targetId: string | null }>;
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'auth.passkey_register', outcome: 'success', targetId: passkeyId }),
        expect.objectContaining({ action: 'auth.passkey_sign_in', outcome: 'success', targetId: staff.id }),
        expect.objectContaining({ action: 'auth.passkey_used', outcome: 'success', targetId: passkeyId }),
      ]),
    );
  });

  it.each<[string, CeremonyOverrides, string]>([
    ['another challenge', { challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'passkey.challenge_mismatch'],
    ['another origin', { origin: 'https://acs.example.test.evil.test' }, 'passkey.origin_mismatch'],
    ['a registration response', { type: 'webauthn.create' }, 'passkey.wrong_ceremony'],
    ['a signature that does not verify', { badSignature: true }, 'passkey.invalid_response'],
    ['another relying party', { rpId: 'evil.test' }, 'passkey.invalid_response'],
    ['no user presence', { userPresent: false }, 'passkey.invalid_response'],
  ])('refuses a sign-in assertion with %s', async (_name, spoil, code) => {
    const { staff, cred, passkeyId } = await staffWithPasskey();
    const refused = await signInWithPasskey(staff, cred, spoil);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe(code);
    expect(([] as string[]).concat(refused.headers['set-cookie'] ?? [])).toEqual([]);
    const audit = await t.http().get('/audit').query({ limit: 50 }).set(bearer(t.adminToken)).expect(200);
    const items = audit.body.items as Array<{ action: string; outcome: string; targetId: string | null; details: { code?: string } | null }>;
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'auth.passkey_sign_in', outcome: 'failure', targetId: staff.id, details: { code } }),
        expect.objectContaining({ action: 'auth.passkey_failed', targetId: passkeyId }),
      ]),
    );
    // A good assertion still works afterwards (its counter is above the stored one).
    await signInWithPasskey(staff, cred).then((r) => expect(r.status).toBe(200));
  });

  it('refuses a signature counter that does not go up (a cloned authenticator)', async () => {
    const { staff, cred } = await staffWithPasskey();
    await signInWithPasskey(staff, cred, { counter: 7 }).then((r) => expect(r.status).toBe(200));
    for (const counter of [7, 3]) {
      const refused = await signInWithPasskey(staff, cred, { counter });
      expect(refused.body.code).toBe('passkey.counter_regression');
    }
    await signInWithPasskey(staff, cred, { counter: 8 }).then((r) => expect(r.status).toBe(200));
  });

  it('refuses an unknown credential, an expired challenge, a made-up pending token and counts failures towards the lock-out', async () => {
    const { staff, cred } = await staffWithPasskey();
    const stranger = await signInWithPasskey(staff, authenticator.newCredential());
    expect(stranger.body.code).toBe('passkey.unknown_credential');
    const { pendingToken, options } = await passkeyOptions(staff);
    t.clock.advance(300_000);
    const late = await t
      .http()
      .post('/auth/sign-in/passkey')
      .send({ pendingToken, credential: authenticator.assert(options, cred) })
      .expect(401);
    expect(late.body.code).toBe('passkey.challenge_expired');
    const madeUp = await t
      .http()
      .post('/auth/sign-in/passkey')
      .send({ pendingToken: `acsp_${'A'.repeat(43)}`, credential: authenticator.assert(options, cred) })
      .expect(401);
    expect(madeUp.body.code).toBe('passkey.challenge_missing');
    // SIGN_IN_ACCOUNT_FAILURE_LIMIT=3: a third failed passkey locks the username, as a wrong code would.
    await signInWithPasskey(staff, cred, { badSignature: true });
    const locked = await t.http().post('/auth/sign-in/passkey/options').send({ username: staff.username, password: PASSWORD }).expect(429);
    expect(locked.body.code).toBe('auth.account_locked');
  });

  it('refuses a malformed credential and wrong passwords with problem codes, never a 500', async () => {
    const { staff } = await staffWithPasskey();
    const { pendingToken } = await passkeyOptions(staff);
    const malformed = await t
      .http()
      .post('/auth/sign-in/passkey')
      .send({ pendingToken, credential: { id: 'x', rawId: 'y' } })
      .expect(401);
    expect(malformed.body.code).toBe('passkey.invalid_response');
    const notObject = await t.http().post('/auth/sign-in/passkey').send({ pendingToken, credential: 'nope' }).expect(400);
    expect(notObject.body.code).toBe('validation.failed');
    const wrong = await t.http().post('/auth/sign-in/passkey/options').send({ username: staff.username, password: 'not it at all' }).expect(401);
    expect(wrong.body.code).toBe('auth.bad_credentials');
    const noPasskey = await staffWithPassword();
    const none = await t.http().post('/auth/sign-in/passkey/options').send({ username: noPasskey.username, password: PASSWORD }).expect(401);
    expect(none.body.code).toBe('auth.no_passkey');
    const cross = await t
      .http()
      .post('/auth/sign-in/passkey/options')
      .set('Origin', 'https://elsewhere.test')
      .send({ username: staff.username, password: PASSWORD })
      .expect(403);
    expect(cross.body.code).toBe('auth.cross_origin');
  });

  it('refuses registrations without options, on another origin, and with a bearer token instead of a session', async () => {
    const staff = await staffWithPassword();
    const s = await signInWithPassword(staff);
    const cred = authenticator.newCredential();
    const orphan = await post('/auth/passkeys/registration', s).send({
      label: 'x',
      credential: authenticator.attest({ challenge: 'AAAA', rp: { id: RP_ID } }, cred),
    });
    expect(orphan.status).toBe(400);
    expect(orphan.body.code).toBe('passkey.challenge_missing');
    const options = await post('/auth/passkeys/registration/options', s).expect(200);
    const elsewhere = await post('/auth/passkeys/registration', s).send({
      label: 'x',
      credential: authenticator.attest(options.body.options, cred, { origin: 'http://localhost:3000' }),
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.code).toBe('passkey.origin_mismatch');
    // The refused answer spent the challenge: the good response to the same options comes too late.
    const late = await post('/auth/passkeys/registration', s).send({ label: 'x', credential: authenticator.attest(options.body.options, cred) });
    expect(late.body.code).toBe('passkey.challenge_missing');
    const token = await t.tokenFor('security');
    const viaToken = await t.http().post('/auth/passkeys/registration/options').set(bearer(token)).expect(400);
    expect(viaToken.body.code).toBe('auth.no_session');
  });

  it('removes a passkey with the session’s CSRF token and the current password; without a second factor left the account is asked to enrol again', async () => {
    const { staff, passkeyId, session } = await staffWithPasskey();
    const del = () => t.http().delete(`/auth/passkeys/${passkeyId}`).set('Cookie', session.cookie);
    const noCsrf = await del().send({ password: PASSWORD }).expect(403);
    expect(noCsrf.body.code).toBe('auth.csrf_failed');
    // A stolen session alone does not remove a second factor: the password again, counted towards the lock-out.
    const noPassword = await del().set('X-CSRF-Token', session.csrf).send({}).expect(400);
    expect(noPassword.body.code).toBe('validation.failed');
    const wrong = await del().set('X-CSRF-Token', session.csrf).send({ password: 'not the password at all' }).expect(403);
    expect(wrong.body.code).toBe('password.current_wrong');
    await t.http().get('/auth/passkeys').set('Cookie', session.cookie).expect(200);
    await del().set('X-CSRF-Token', session.csrf).send({ password: PASSWORD }).expect(204);
    const gone = await del().set('X-CSRF-Token', session.csrf).send({ password: PASSWORD }).expect(404);
    expect(gone.body.code).toBe('passkey.not_found');
    const after = await signInWithPassword(staff);
    expect(after.state).toBe('totp_enrolment');
    const audit = await t.http().get('/audit').query({ limit: 50 }).set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'auth.passkey_remove', outcome: 'success', targetId: passkeyId })]),
    );
  });

  it('an administrator’s second-factor reset removes the passkeys too and ends the sessions: the next sign-in must enrol again', async () => {
    const { staff, cred, session } = await staffWithPasskey();
    await t.http().post(`/staff/${staff.id}/totp/reset`).set(bearer(t.adminToken)).expect(200);
    await t.http().get('/auth/passkeys').set('Cookie', session.cookie).expect(401);
    const after = await signInWithPassword(staff);
    expect(after.state).toBe('totp_enrolment');
    // The removed passkey no longer signs anyone in.
    const options = await t.http().post('/auth/sign-in/passkey/options').send({ username: staff.username, password: PASSWORD });
    expect(options.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(options.body)).not.toContain(cred.id.toString('base64url'));
  });

  it('keeps passwords, pending tokens and key material out of logs and the audit trail', async () => {
    const audit = await t.http().get('/audit').query({ limit: 500 }).set(bearer(t.adminToken)).expect(200);
    for (const hay of [t.logs.text(), JSON.stringify(audit.body)]) {
      expect([PASSWORD, ...secrets].filter((n) => hay.includes(n))).toEqual([]);
      expect(hay).not.toMatch(/acsp_[A-Za-z0-9_-]{20,}/);
      expect(hay).not.toMatch(/passkey-user-\d/);
    }
  });
});
