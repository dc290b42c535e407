import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { bearer } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import { startConsoleHarness, type ConsoleHarness } from './console-support.js';

const PASSWORD = 'copper meadow signal harbour';
let seq = 0;

async function accountWithPassword(t: TestApp): Promise<string> {
  const username = `session-desk-${++seq}`;
  const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username, role: 'security' }).expect(201);
  const reset = await t
    .http()
    .post(`/staff/${created.body.id as string}/password-reset`)
    .set(bearer(t.adminToken))
    .expect(201);
  await t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(200);
  return username;
}

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/console/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

const signInForm = (page: Page) => page.getByRole('button', { name: 'Sign in', exact: true });

/**
 * Browser sessions as the issue lists them for Chromium: the idle timeout ends a session the
 * console then leaves, "sign out everywhere" ends the other browser's session, and a form posted
 * from another origin (same site, so the SameSite=Strict cookie does go along) is refused.
 */
describe('web console: browser sessions', () => {
  let h: ConsoleHarness;
  let evil: Server;
  let evilOrigin = '';

  beforeAll(async () => {
    h = await startConsoleHarness({ env: { STAFF_TOTP_REQUIRED: 'false', SESSION_IDLE_MINUTES: '15', AUTH_FAILURE_LIMIT: '100' } });
    // Another origin on the same host: a page that posts a form to the console's API.
    evil = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><html><body><form id="f" method="POST" action="${target}"><input name="x" value="1"></form>` +
          `<script>document.getElementById('f').submit()</script></body></html>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    const address = evil.address();
    evilOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
    await h?.close();
  });

  it('ends a session left idle past SESSION_IDLE_MINUTES: the Live page’s next request returns the desk to the sign-in form with the reason', async () => {
    const username = await accountWithPassword(h.t);
    const { page } = await h.newPage();
    await signIn(page, username);
    // Idle: the server's clock moves 16 minutes on, nothing is asked meanwhile.
    h.t.clock.advance(16 * 60_000);
    // The Live page asks again every few seconds; its first request after the idle time is refused.
    await signInForm(page).waitFor({ timeout: 15_000 });
    await expect(page.getByRole('status').or(page.getByRole('alert')).allTextContents()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('idle too long')]),
    );
    // The cookie it still holds opens nothing.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'acs_session');
    expect(cookie).toBeDefined();
    const res = await h.t.http().get('/auth/session').set('Cookie', `${cookie!.name}=${cookie!.value}`);
    expect(res.status).toBe(401);
  });

  it('signs out everywhere from one browser: the other browser is returned to the sign-in form', async () => {
    const username = await accountWithPassword(h.t);
    const one = await h.newPage();
    const two = await h.newPage();
    await signIn(one.page, username);
    await signIn(two.page, username);
    await one.page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
    await one.page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    const button = one.page.getByRole('button', { name: 'Sign out everywhere' });
    // Enabled once the page has loaded the account's sessions (the heading renders first).
    for (let i = 0; i < 100 && !(await button.isEnabled()); i++) await new Promise((r) => setTimeout(r, 100));
    await expect(button.isEnabled()).resolves.toBe(true);
    await button.click();
    await signInForm(one.page).waitFor();
    // The other browser finds out at its next request.
    await two.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
    await signInForm(two.page).waitFor();
    const cookie = (await two.context.cookies()).find((c) => c.name === 'acs_session')!;
    expect((await h.t.http().get('/auth/session').set('Cookie', `${cookie.name}=${cookie.value}`)).status).toBe(401);
  });

  it('refuses a form posted from another origin with the session cookie (no CSRF token), and the session lives on', async () => {
    const username = await accountWithPassword(h.t);
    const { page, context } = await h.newPage();
    await signIn(page, username);
    const api = new URL(page.url()).origin;
    const before = (await context.cookies()).find((c) => c.name === 'acs_session')!;
    // A forged "sign out everywhere", then a forged staff creation, from the other origin.
    for (const path of ['/auth/sign-out-everywhere', '/staff']) {
      const attacker = await context.newPage();
      const [response] = await Promise.all([
        attacker.waitForResponse((r) => new URL(r.url()).pathname === path),
        attacker.goto(`${evilOrigin}/?target=${encodeURIComponent(`${api}${path}`)}`),
      ]);
      // Same site, different origin: the SameSite=Strict cookie went along, and was not enough.
      expect(response.request().headers().cookie ?? (await response.request().allHeaders()).cookie).toContain('acs_session=');
      expect(response.status()).toBe(403);
      await attacker.close();
    }
    const res = await h.t.http().get('/auth/session').set('Cookie', `${before.name}=${before.value}`);
    expect(res.status).toBe(200);
    const staff = await h.t.http().get('/staff').set(bearer(h.t.adminToken)).expect(200);
    expect(JSON.stringify(staff.body)).not.toContain('"x"');
  });
});
