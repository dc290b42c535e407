import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';

const PASSWORD = 'violet staple orbit canyon';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

/**
 * The customer portal's requests in Chromium: a customer administrator asks for a new person
 * with access, a staff member in another browser approves it from the queue (the Live page
 * counting it first), and the customer administrator sees it approved and the person among their
 * people; a removal applies at once.
 */
describe('web console: access requests', () => {
  let h: ConsoleHarness;
  let site: SiteFixture;
  let ours: { id: string };
  let leaver: { id: string };

  beforeAll(async () => {
    h = await startConsoleHarness();
    site = await buildSite(h.t);
    ours = await createCustomer(h.t, { companyName: 'Noordzee Hosting B.V.' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: ours.id });
    leaver = await createPerson(h.t, ours.id, { fullName: 'Ruud Leaver' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: ours.id, personId: leaver.id });
    const created = await h.t.http().post(`/customers/${ours.id}/admins`).set(bearer(h.t.adminToken)).send({ username: 'noordzee-portal' }).expect(201);
    await h.t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a customer administrator requests a new person, staff approve in another browser, the person appears; a removal applies at once', async () => {
    const customer = await h.newPage();
    await customer.page.goto('/console/');
    await customer.page.getByLabel('Username').fill('noordzee-portal');
    await customer.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await customer.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(customer.page).getByRole('link', { name: 'Requests' }).click();
    await customer.page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
    await customer.page.getByLabel('Full name').fill('Lena Brouwer');
    await customer.page.getByLabel('E-mail').fill('lena@example.com');
    const suite = (await h.t.http().get(`/access-levels/${site.suiteLevelId}`).set(bearer(h.t.adminToken)).expect(200)).body.name as string;
    await customer.page.getByLabel('Access level').selectOption({ label: suite });
    await customer.page.getByLabel('Until').fill('2027-03-01T18:00');
    await customer.page.getByRole('button', { name: 'Send request' }).click();
    await customer.page.getByRole('status').filter({ hasText: 'the datacenter staff will decide' }).waitFor();
    const mine = customer.page.getByRole('row', { name: /Lena Brouwer/ });
    await expect(mine.textContent()).resolves.toContain('pending');
    expect(await unlabelledControls(customer.page)).toEqual([]);
    await screenshot(customer.page, 'portal-request-filed');

    // Staff, in a browser of their own: the Live page counts it, the queue decides it.
    const staff = await h.newPage();
    await h.signIn(staff.page, await h.t.tokenFor('security'));
    await staff.page.getByTestId('pending-requests').filter({ hasText: 'Access requests pending: 1' }).waitFor();
    await nav(staff.page).getByRole('link', { name: 'Access requests' }).click();
    const queued = staff.page.getByRole('row', { name: /Lena Brouwer/ });
    await expect(queued.textContent()).resolves.toContain('Noordzee Hosting B.V.');
    await expect(queued.textContent()).resolves.toContain(suite);
    await screenshot(staff.page, 'staff-request-queue');
    await queued.getByRole('button', { name: 'Approve' }).click();
    await staff.page.getByText('No requests.').waitFor();

    // The customer administrator sees the decision and the new person.
    await customer.page.getByRole('button', { name: 'Refresh' }).click();
    await customer.page
      .getByRole('row', { name: /approved/ })
      .filter({ hasText: 'invited to enrolment' })
      .waitFor();
    await nav(customer.page).getByRole('link', { name: 'Our people' }).click();
    await customer.page.getByRole('rowheader', { name: 'Lena Brouwer' }).waitFor();

    // Ending access needs no approval.
    await nav(customer.page).getByRole('link', { name: 'Requests' }).click();
    await customer.page.getByLabel('Request', { exact: true }).selectOption('remove');
    await customer.page.getByLabel('Person').selectOption({ label: 'Ruud Leaver' });
    await customer.page.getByRole('button', { name: 'End access now' }).click();
    await customer.page.getByRole('status').filter({ hasText: 'applied' }).waitFor();
    const grants = await h.t.http().get('/grants').query({ customerId: ours.id, personId: leaver.id }).set(bearer(h.t.adminToken)).expect(200);
    expect(grants.body.items).toEqual([]);
    await screenshot(customer.page, 'portal-removal-applied');

    // Their history page reads only their own customer's routes.
    await nav(customer.page).getByRole('link', { name: 'History' }).click();
    await customer.page.getByRole('heading', { name: 'Access history', level: 1 }).waitFor();
    await customer.page.getByRole('heading', { name: 'Export' }).waitFor();
    await expect(customer.page.getByRole('alert').count()).resolves.toBe(0);
  });
});
