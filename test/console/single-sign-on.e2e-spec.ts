import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { axeViolations } from './axe.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { startTestIdp, type TestIdp } from '../support/oidc-idp.js';

/** A loopback port free right now: the server's address must be in the provider's registration before either starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The console's "Sign in with …" in Chromium, through a real OpenID provider (oidc-provider,
 * in-process; it signs the named user in without a form) and back into the console.
 */
describe('web console: single sign-on', () => {
  let idp: TestIdp;
  let h: ConsoleHarness;

  beforeAll(async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/auth/oidc/callback`;
    idp = await startTestIdp({ redirectUri: redirect });
    h = await startConsoleHarness({
      port,
      clock: new FakeClock(Date.now()),
      env: {
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_REDIRECT_URL: redirect,
        OIDC_SCOPES: 'openid groups',
        OIDC_ROLE_MAP: 'acs-admins=admin,acs-auditors=auditor',
        OIDC_DISPLAY_NAME: 'Test IdP',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  const nav = (page: import('playwright-core').Page) => page.getByRole('navigation', { name: 'Console' });

  it('signs in through the provider and lands in the console with the mapped role', async () => {
    idp.signInAs({ sub: 'browser-user-1', groups: ['acs-auditors'] });
    const { context, page } = await h.newPage();
    await page.goto('/console/');
    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.waitFor();
    await screenshot(page, '00-sign-in-sso');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await button.click();
    await nav(page).waitFor();
    await expect(page.locator('.whoami strong').textContent()).resolves.toBe('auditor');
    // The outcome was taken from the address bar, and the session is the httpOnly cookie only.
    expect(new URL(page.url()).search).toBe('');
    const cookie = (await context.cookies()).find((c) => c.name === 'acs_session');
    expect(cookie?.httpOnly).toBe(true);
    await expect(page.evaluate('document.cookie')).resolves.toBe('');
    // A reload keeps the session, and sign-out works (the CSRF token came from GET /auth/session).
    await page.reload();
    await nav(page).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
  });

  it('shows why the sign-in was refused when the person’s groups give no role', async () => {
    idp.signInAs({ sub: 'browser-user-2', groups: ['visitors'] });
    const { page } = await h.newPage();
    await page.goto('/console/');
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('auth.oidc_unmapped_role');
    await expect(alert.textContent()).resolves.toContain('not in a group that gives access');
    // Taken from the address bar: a reload does not show it again.
    expect(new URL(page.url()).search).toBe('');
    expect(await axeViolations(page)).toEqual([]);
    await expect(nav(page).count()).resolves.toBe(0);
  });
});
