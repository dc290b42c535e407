import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, createCustomer, createPerson } from '../support/registry-fixture.js';

const PASSWORD = 'violet staple orbit canyon';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

/**
 * The Accounts page and a customer administrator's console, in Chromium: an admin creates the
 * account and copies its one-time link; the person sets a password with it, signs in (no second
 * factor demanded, though STAFF_TOTP_REQUIRED is on for staff here) and sees only their customer.
 */
describe('web console: customer administrators', () => {
  let h: ConsoleHarness;
  let ours: { id: string };
  let theirs: { id: string };

  beforeAll(async () => {
    h = await startConsoleHarness();
    ours = await createCustomer(h.t, { companyName: 'Noordzee Hosting B.V.' });
    theirs = await createCustomer(h.t, { companyName: 'Other Tenant GmbH' });
    await createPerson(h.t, ours.id, { fullName: 'Ada Visser' });
    await createPerson(h.t, theirs.id, { fullName: 'Bruno Keller' });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('an admin creates one and hands over the link; the person sets a password, signs in and sees only their customer', async () => {
    const admin = await h.newPage();
    await h.signIn(admin.page, h.t.adminToken);
    await nav(admin.page).getByRole('link', { name: 'Accounts' }).click();
    await admin.page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    await admin.page.getByLabel('Username').fill('noordzee-lead');
    await admin.page.getByLabel('Role').selectOption('customer_admin');
    await admin.page.getByLabel('Customer').selectOption({ label: 'Noordzee Hosting B.V.' });
    await admin.page.getByRole('button', { name: 'Create account' }).click();
    const linkBox = admin.page.getByRole('textbox', { name: 'Reset link', exact: true });
    await linkBox.waitFor();
    const link = await linkBox.inputValue();
    expect(link).toMatch(new RegExp(`^${h.baseUrl}/console/password-reset#acsr_`));
    expect(await unlabelledControls(admin.page)).toEqual([]);
    const row = admin.page.getByRole('row', { name: /noordzee-lead/ });
    await expect(row.textContent()).resolves.toContain('Customer administrator of Noordzee Hosting B.V.');
    await expect(row.textContent()).resolves.toContain('Not set yet');
    await screenshot(admin.page, 'accounts-created');

    // The person opens the link in a browser of their own.
    const person = await h.newPage();
    await person.page.goto(link.slice(h.baseUrl.length));
    await person.page.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await person.page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await person.page.getByLabel('Repeat the new password').fill(PASSWORD);
    await person.page.getByRole('button', { name: 'Set password' }).click();
    await person.page.getByRole('status').filter({ hasText: 'Your password is set' }).waitFor();
    await person.page.getByRole('link', { name: 'Sign in' }).click();
    await person.page.getByLabel('Username').fill('noordzee-lead');
    await person.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await person.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(person.page).waitFor();

    // Only their customer's page, with their people and nobody else's.
    await expect(nav(person.page).getByRole('link').allTextContents()).resolves.toEqual(['Our people', 'Requests', 'Visitors', 'History']);
    await person.page.getByRole('heading', { name: 'Noordzee Hosting B.V.', level: 1 }).waitFor();
    await person.page.getByRole('rowheader', { name: 'Ada Visser' }).waitFor();
    await expect(person.page.getByText('Bruno Keller').count()).resolves.toBe(0);
    await expect(person.page.getByText('Other Tenant GmbH').count()).resolves.toBe(0);
    await screenshot(person.page, 'customer-admin-own-customer');
    // A staff page typed into the address bar is not there for them: they land on their own page.
    await person.page.goto('/console/people');
    await person.page.getByRole('heading', { name: 'Noordzee Hosting B.V.', level: 1 }).waitFor();
    expect(new URL(person.page.url()).pathname).toBe('/console/customer');
    // Their Security page works (their own account's routes), a second factor offered, not required.
    await person.page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
    await person.page.getByText('Two-step sign-in is off').waitFor();

    // The link was spent; the admin's list now shows the password as set.
    await h.t
      .http()
      .post('/auth/password-reset')
      .send({ token: link.split('#')[1], newPassword: PASSWORD })
      .expect(400);
    await admin.page.reload();
    await nav(admin.page).getByRole('link', { name: 'Accounts' }).click();
    await expect(
      admin.page
        .getByRole('row', { name: /noordzee-lead/ })
        .getByText('Set', { exact: true })
        .count(),
    ).resolves.toBe(1);
  });

  it('an admin disables an account, which ends its session, and enables it again', async () => {
    const created = await h.t.http().post(`/customers/${ours.id}/admins`).set(bearer(h.t.adminToken)).send({ username: 'noordzee-second' }).expect(201);
    await h.t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    const person = await h.newPage();
    await person.page.goto('/console/');
    await person.page.getByLabel('Username').fill('noordzee-second');
    await person.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await person.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(person.page).waitFor();

    const admin = await h.newPage();
    await h.signIn(admin.page, h.t.adminToken);
    await nav(admin.page).getByRole('link', { name: 'Accounts' }).click();
    await admin.page.getByRole('button', { name: 'Disable noordzee-second' }).click();
    await admin.page.getByRole('button', { name: 'Enable noordzee-second' }).waitFor();
    await expect(admin.page.getByRole('row', { name: /noordzee-second/ }).textContent()).resolves.toContain('Disabled');

    // The disabled account's next request ends its console session.
    await person.page.reload();
    await person.page.getByLabel('Username').waitFor();
    await admin.page.getByRole('button', { name: 'Enable noordzee-second' }).click();
    await admin.page.getByRole('button', { name: 'Disable noordzee-second' }).waitFor();
    await h.t.http().post('/auth/sign-in').send({ username: 'noordzee-second', password: PASSWORD }).expect(200);
  });
});
