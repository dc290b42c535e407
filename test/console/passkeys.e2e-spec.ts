import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { DESK_VIEWPORT, screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer } from '../support/registry-fixture.js';

const PASSWORD = 'violet staple orbit canyon';

/**
 * Passkeys in Chromium with the DevTools protocol's virtual authenticator (WebAuthn domain): a
 * platform authenticator (CTAP2, internal transport, resident keys, user verification that
 * always succeeds), so navigator.credentials.create() and .get() run for real without a person.
 * WebAuthn needs a domain as RP ID (never an IP address), so the browser opens the console as
 * localhost; the server derives RP ID and origin from that (no WEBAUTHN_* setting).
 */
describe('web console: passkeys', () => {
  let h: ConsoleHarness;
  let seq = 0;
  beforeAll(async () => {
    h = await startConsoleHarness({ env: { STAFF_TOTP_REQUIRED: 'false', AUTH_FAILURE_LIMIT: '100' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function accountWithPassword(): Promise<{ id: string; username: string }> {
    const username = `passkey-desk-${++seq}`;
    const created = await h.t.http().post('/staff').set(bearer(h.t.adminToken)).send({ username, role: 'security' }).expect(201);
    const reset = await h.t
      .http()
      .post(`/staff/${created.body.id as string}/password-reset`)
      .set(bearer(h.t.adminToken))
      .expect(201);
    await h.t.http().post('/auth/password-reset').send({ token: reset.body.resetToken, newPassword: PASSWORD }).expect(200);
    return { id: created.body.id as string, username };
  }

  async function localhostPage(): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; authenticatorId: string }> {
    const context = await h.browser.newContext({ viewport: DESK_VIEWPORT, baseURL: h.baseUrl.replace('127.0.0.1', 'localhost') });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { context, page, cdp, authenticatorId };
  }

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

  async function fillPassword(page: Page, username: string): Promise<void> {
    await page.goto('/console/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('registers a passkey on the Security page, then signs in with password and passkey, and removes it', async () => {
    const a = await accountWithPassword();
    const { context, page, cdp, authenticatorId } = await localhostPage();
    try {
      await fillPassword(page, a.username);
      await nav(page).waitFor();
      await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
      const panel = page.getByRole('region', { name: 'Passkeys' });
      await panel.getByText('No passkey is registered.').waitFor();
      await panel.getByLabel('Name of the passkey').fill('desk laptop');
      await panel.getByRole('button', { name: 'Add a passkey' }).click();
      await panel.getByRole('cell', { name: 'desk laptop', exact: true }).waitFor();
      await expect(panel.getByRole('row').filter({ hasText: 'desk laptop' }).getByRole('cell').nth(2).textContent()).resolves.toBe('never');
      expect(await unlabelledControls(page)).toEqual([]);
      await screenshot(page, 'security-passkeys');
      const stored = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(stored.credentials).toHaveLength(1);
      expect(stored.credentials[0].rpId).toBe('localhost');

      // The registration rotated the session; the console took the new CSRF token, so sign-out works.
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByLabel('Username').waitFor();

      await fillPassword(page, a.username);
      const usePasskey = page.getByRole('button', { name: 'Use a passkey' });
      await usePasskey.waitFor();
      await expect(nav(page).count()).resolves.toBe(0);
      await screenshot(page, '00-sign-in-passkey-step');
      await usePasskey.click();
      await nav(page).waitFor();
      const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(after.credentials[0].signCount).toBeGreaterThan(stored.credentials[0].signCount);

      await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
      const row = panel.getByRole('row').filter({ hasText: 'desk laptop' });
      await row.waitFor();
      await expect(row.getByRole('cell').nth(2).textContent()).resolves.not.toBe('never');
      await row.getByRole('button', { name: 'Remove the passkey desk laptop' }).click();
      // Confirmed with the current password: a wrong one is refused and the passkey stays.
      await panel.getByLabel('Your current password').fill('not the password at all');
      await panel.getByRole('button', { name: 'Remove the passkey', exact: true }).click();
      await panel.getByRole('alert').waitFor();
      await expect(row.count()).resolves.toBe(1);
      await panel.getByLabel('Your current password').fill(PASSWORD);
      await panel.getByRole('button', { name: 'Remove the passkey', exact: true }).click();
      await panel.getByText('No passkey is registered.').waitFor();
      // Without a passkey (and without TOTP) the password alone signs in again.
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await fillPassword(page, a.username);
      await nav(page).waitFor();
      const audit = await h.t.http().get('/audit').query({ limit: 100 }).set(bearer(h.t.adminToken)).expect(200);
      const actions = (audit.body.items as Array<{ action: string; outcome: string }>).filter((i) => i.outcome === 'success').map((i) => i.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.passkey_register', 'auth.passkey_sign_in', 'auth.passkey_used', 'auth.passkey_remove']));
    } finally {
      await context.close();
    }
  });

  it('says so when the passkey prompt fails, and offers the way back', async () => {
    const a = await accountWithPassword();
    const { context, page, cdp, authenticatorId } = await localhostPage();
    try {
      await fillPassword(page, a.username);
      await nav(page).waitFor();
      await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
      const panel = page.getByRole('region', { name: 'Passkeys' });
      await panel.getByLabel('Name of the passkey').fill('phone');
      await panel.getByRole('button', { name: 'Add a passkey' }).click();
      await panel.getByRole('cell', { name: 'phone', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      // The authenticator no longer holds the key (another device, a wiped phone): the browser finds no credential.
      await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
      await fillPassword(page, a.username);
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.getByRole('alert').filter({ hasText: 'The passkey prompt was closed or timed out' }).waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Start over' }).click();
      await page.getByLabel('Username').waitFor();
      await expect(nav(page).count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});
