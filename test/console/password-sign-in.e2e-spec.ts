import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';
const NEW_PASSWORD = 'amber kettle drift lantern';

interface Account {
  id: string;
  username: string;
}

let seq = 0;

/** A staff account with a password, set the way a person sets it: through an administrator's one-time reset token. */
async function accountWithPassword(t: TestApp, role = 'security'): Promise<Account> {
  const username = `desk-${role}-${++seq}`;
  const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username, role }).expect(201);
  const reset = await t
    .http()
    .post(`/staff/${created.body.id as string}/password-reset`)
    .set(bearer(t.adminToken))
    .expect(201);
  await t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(200);
  return { id: created.body.id as string, username };
}

/** The session cookie the browser holds, as a Cookie header for a request made outside the browser. */
async function cookieHeader(context: BrowserContext): Promise<string> {
  const c = (await context.cookies()).find((x) => x.name === 'acs_session');
  if (!c) throw new Error('the browser holds no session cookie');
  expect(c.httpOnly).toBe(true);
  expect(c.sameSite).toBe('Strict');
  return `${c.name}=${c.value}`;
}

/** The TOTP secret the API returned to the console when the enrolment started (read off the wire, as the app's QR code holds it). */
async function secretOfEnrolment(page: Page, start: () => Promise<void>): Promise<string> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/totp/enrolment' && r.request().method() === 'POST'),
    start(),
  ]);
  expect(response.status()).toBe(201);
  const body = (await response.json()) as { otpauthUri: string };
  return new URL(body.otpauthUri).searchParams.get('secret')!;
}

const codeAt = (t: TestApp, secret: string) => generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) });

async function fillPassword(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/console/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Submits the sign-in form and waits for the server's answer (and for the page to show it). */
async function submitSignIn(page: Page): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/sign-in'),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  await page.getByRole('button', { name: 'Sign in', exact: true }).or(nav(page)).first().waitFor();
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });
const alertText = (page: Page) => page.getByRole('alert').textContent();

/** Enrols TOTP from the Security page; returns the secret and the recovery codes shown. */
async function enrolFromSecurityPage(h: ConsoleHarness, page: Page): Promise<{ secret: string; recoveryCodes: string[] }> {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
  await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
  // The heading renders before the account's state has loaded: wait for the state, then count it.
  await page.getByText('Two-step sign-in is off').waitFor();
  await expect(page.getByText('Two-step sign-in is off').count()).resolves.toBe(1);
  const secret = await secretOfEnrolment(page, () => page.getByRole('button', { name: 'Set up two-step sign-in' }).click());
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr.getAttribute('src')).resolves.toMatch(/^data:image\/png;base64,/);
  await page.getByLabel('Code from the app').fill(await codeAt(h.t, secret));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await codes.first().waitFor();
  const recoveryCodes = (await codes.allTextContents()).map((c) => c.trim());
  expect(recoveryCodes).toHaveLength(10);
  await page.getByRole('button', { name: 'I have stored these codes' }).click();
  await page.getByText('Two-step sign-in is on').waitFor();
  return { secret, recoveryCodes };
}

describe('web console: signing in with a password', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    // TOTP optional here so a password alone signs in; the describe below keeps the default.
    h = await startConsoleHarness({ env: { STAFF_TOTP_REQUIRED: 'false', SIGN_IN_ACCOUNT_FAILURE_LIMIT: '3', AUTH_FAILURE_LIMIT: '100' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('signs in with username and password on the keyboard alone, and keeps no secret where scripts can read it', async () => {
    const a = await accountWithPassword(h.t, 'admin');
    const { context, page } = await h.newPage();
    await page.goto('/console/');
    await page.waitForFunction(`document.activeElement && document.activeElement.getAttribute('name') === 'username'`, undefined, { timeout: 20_000 });
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '00-sign-in-password');
    await page.keyboard.type(a.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await nav(page).waitFor();
    await expect(page.locator('.whoami strong').textContent()).resolves.toBe('admin');
    // The live stream authenticates with the cookie too (fetch sends it; there is no token to add).
    await page.locator('.live-stream', { hasText: /Event stream:\s*Live$/ }).waitFor();
    // httpOnly cookie, nothing in storage: a script in the page cannot take the session away.
    await cookieHeader(context);
    await expect(page.evaluate('document.cookie')).resolves.toBe('');
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);
    // A reload keeps the session (the CSRF token comes back from GET /auth/session) and writes still work.
    await page.reload();
    await nav(page).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Username').waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toContain('signed out');
  });

  it('says a wrong password and an unknown username alike, then the lock-out and its time', async () => {
    const a = await accountWithPassword(h.t);
    const { page } = await h.newPage();
    await fillPassword(page, 'nobody-by-this-name', PASSWORD);
    const unknown = await alertText(page);
    expect(unknown).toContain('auth.bad_credentials');
    await fillPassword(page, a.username, 'not the password at all');
    await expect(alertText(page)).resolves.toBe(unknown);
    await screenshot(page, '00-sign-in-wrong-password');
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe(a.username);
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    // SIGN_IN_ACCOUNT_FAILURE_LIMIT=3: the third wrong password locks the account for SIGN_IN_LOCKOUT_S (900 s).
    await page.getByLabel('Password', { exact: true }).fill('still not the password');
    await submitSignIn(page);
    await expect(alertText(page)).resolves.toBe(unknown);
    await page.getByLabel('Password', { exact: true }).fill('and again not the password');
    await submitSignIn(page);
    // Locked: even the right password is refused now, and the page says for how long, in words.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await submitSignIn(page);
    await expect(alertText(page)).resolves.toContain('Try again in 15 minutes.');
    await expect(alertText(page)).resolves.toContain('auth.account_locked');
  });

  it('ends the session on sign out: the cookie it had is refused afterwards', async () => {
    const a = await accountWithPassword(h.t);
    const { context, page } = await h.newPage();
    await fillPassword(page, a.username, PASSWORD);
    await nav(page).waitFor();
    const cookie = await cookieHeader(context);
    await h.t.http().get('/auth/session').set('Cookie', cookie).expect(200);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Username').waitFor();
    const after = await h.t.http().get('/auth/session').set('Cookie', cookie).expect(401);
    expect(after.body.code).toBe('auth.session_expired');
  });

  it('enrols TOTP from the Security page, then signs in with password and code, or a recovery code once', async () => {
    const a = await accountWithPassword(h.t);
    const first = await h.newPage();
    await fillPassword(first.page, a.username, PASSWORD);
    await nav(first.page).waitFor();
    const { secret, recoveryCodes } = await enrolFromSecurityPage(h, first.page);
    await screenshot(first.page, 'security-totp-on');
    expect(await unlabelledControls(first.page)).toEqual([]);
    // The confirmation rotated the session: the console took the new CSRF token, so sign-out still works.
    const rotated = await cookieHeader(first.context);
    await first.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await first.page.getByLabel('Username').waitFor();
    await h.t.http().get('/auth/session').set('Cookie', rotated).expect(401);

    // The enrolment used this 30-second step; a code is good once per step (replay), so move on.
    h.t.clock.advance(30_000);
    const second = await h.newPage();
    await fillPassword(second.page, a.username, PASSWORD);
    const code = second.page.getByLabel('Authentication code');
    await code.waitFor();
    await expect(second.page.evaluate('document.activeElement.getAttribute("name")')).resolves.toBe('totpCode');
    await screenshot(second.page, '00-sign-in-second-step');
    await code.fill('000000');
    await second.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await second.page.getByRole('alert').filter({ hasText: 'auth.totp_invalid' }).waitFor();
    await code.fill(await codeAt(h.t, secret));
    await second.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(second.page).waitFor();

    const third = await h.newPage();
    await fillPassword(third.page, a.username, PASSWORD);
    await third.page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await third.page.getByLabel('Recovery code').fill(recoveryCodes[0]);
    await third.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(third.page).waitFor();
    await third.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await fillPassword(third.page, a.username, PASSWORD);
    await third.page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await third.page.getByLabel('Recovery code').fill(recoveryCodes[0]);
    await third.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await third.page.getByRole('alert').filter({ hasText: 'auth.totp_invalid' }).waitFor();
  });

  it('turns TOTP off from the Security page with a current code', async () => {
    const a = await accountWithPassword(h.t);
    const { context, page } = await h.newPage();
    await fillPassword(page, a.username, PASSWORD);
    await nav(page).waitFor();
    const { secret } = await enrolFromSecurityPage(h, page);
    h.t.clock.advance(30_000);
    await page.getByLabel('Code from the app or a recovery code').fill(await codeAt(h.t, secret));
    await page.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await page.getByText('Two-step sign-in is off').waitFor();
    const status = await h.t
      .http()
      .get('/auth/totp')
      .set('Cookie', await cookieHeader(context))
      .expect(200);
    expect(status.body.enrolled).toBe(false);
    // Off: the password alone signs in again.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await fillPassword(page, a.username, PASSWORD);
    await nav(page).waitFor();
  });

  it('changes the password on the Security page; the old one stops working, the session goes on, other sessions end', async () => {
    const a = await accountWithPassword(h.t);
    const elsewhere = await h.newPage();
    await fillPassword(elsewhere.page, a.username, PASSWORD);
    await nav(elsewhere.page).waitFor();
    const otherCookie = await cookieHeader(elsewhere.context);
    const { context, page } = await h.newPage();
    await fillPassword(page, a.username, PASSWORD);
    await nav(page).waitFor();
    const before = await cookieHeader(context);
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
    await page.getByLabel('Current password').fill('a wrong current one');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'password.current_wrong' }).waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Your password is changed' }).textContent()).resolves.toContain('1 other session was signed out');
    await h.t.http().get('/auth/session').set('Cookie', otherCookie).expect(401);
    // Rotated: the cookie from before the change is gone, the browser holds a new one.
    await h.t.http().get('/auth/session').set('Cookie', before).expect(401);
    const after = await cookieHeader(context);
    await h.t.http().get('/auth/session').set('Cookie', after).expect(200);
    // The console fetched the rotated session's CSRF token, so a write (the sign-out) is accepted.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Username').waitFor();
    await h.t.http().get('/auth/session').set('Cookie', after).expect(401);
    await fillPassword(page, a.username, PASSWORD);
    await page.getByRole('alert').filter({ hasText: 'auth.bad_credentials' }).waitFor();
    await fillPassword(page, a.username, NEW_PASSWORD);
    await nav(page).waitFor();
  });

  it('sets a password from the link an administrator hands out, and takes the token out of the address bar', async () => {
    const a = await accountWithPassword(h.t);
    const reset = await h.t.http().post(`/staff/${a.id}/password-reset`).set(bearer(h.t.adminToken)).expect(201);
    const { page } = await h.newPage();
    await page.goto(`/console/password-reset#${reset.body.resetToken as string}`);
    await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await expect(page.evaluate('location.hash')).resolves.toBe('');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('New password', { exact: true }).fill('password123');
    await page.getByLabel('Repeat the new password').fill('password123');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /password\.(too_short|common)/ })
      .waitFor();
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is set' }).waitFor();
    await screenshot(page, '00-password-reset-done');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Username').fill(a.username);
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(page).waitFor();
    // The token was spent.
    await h.t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(400);
  });
});

describe('web console: a staff member without a second factor (STAFF_TOTP_REQUIRED)', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('is led through the TOTP enrolment before the console opens', async () => {
    const a = await accountWithPassword(h.t, 'auditor');
    const { page } = await h.newPage();
    await fillPassword(page, a.username, PASSWORD);
    await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor();
    await expect(nav(page).count()).resolves.toBe(0);
    const secret = await secretOfEnrolment(page, () => page.getByRole('button', { name: 'Show the QR code' }).click());
    await screenshot(page, '00-sign-in-enrol-totp');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Code from the app').fill(await codeAt(h.t, secret));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count()).resolves.toBe(10);
    await page.getByRole('button', { name: 'I have stored these codes' }).click();
    await nav(page).waitFor();
    await expect(page.locator('.whoami strong').textContent()).resolves.toBe('auditor');
  });
});
