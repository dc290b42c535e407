import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { CardFleet } from '@acs/card-fleet';
import { OutboxWorker } from '@acs/notifications';
import { leaks } from '../support/personal-data.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';

jest.setTimeout(90_000);

const PASSWORD = 'violet staple orbit canyon';
const PORTAL_ADDRESS = 'security@noordzee-hosting.example';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

/**
 * The customer portal's requests in Chromium: a customer administrator asks for a new person
 * with access, a staff member in another browser approves it from the queue (the Live page
 * counting it first), and the customer administrator sees it approved, gets the approval by
 * e-mail at the address set on their Security page (a real SMTP server, the mail naming the person
 * by reference only), and sees the person among their people, enrolled once the desk has issued
 * them a card; a removal applies at once.
 */
describe('web console: access requests', () => {
  let h: ConsoleHarness;
  let site: SiteFixture;
  let ours: { id: string };
  let leaver: { id: string };
  let smtp: SmtpSink;
  let deskId: string;

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    // The outbox's rounds are left to the test (an hour apart otherwise).
    h = await startConsoleHarness({ env: { SMTP_URL: smtp.url, SMTP_TLS_VERIFY: 'false', NOTIFY_POLL_S: '3600' } });
    site = await buildSite(h.t);
    // A desk card reader on a closed TCP port: the test presents the card in its stead.
    const bus = await post<{ id: string }>(h.t, '/osdp-buses', { siteId: site.siteId, name: 'Desk line', transport: 'tcp://127.0.0.1:9' });
    deskId = (await post<{ id: string }>(h.t, '/card-readers', { busId: bus.id, name: 'Desk card reader', address: 1, role: 'enrolment' })).id;
    ours = await createCustomer(h.t, { companyName: 'Noordzee Hosting B.V.' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: ours.id });
    leaver = await createPerson(h.t, ours.id, { fullName: 'Ruud Leaver' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: ours.id, personId: leaver.id });
    const created = await h.t.http().post(`/customers/${ours.id}/admins`).set(bearer(h.t.adminToken)).send({ username: 'noordzee-portal' }).expect(201);
    await h.t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await smtp?.stop();
  });

  it('a customer administrator requests a new person, staff approve in another browser, the mail arrives, the person appears and is enrolled at the desk; a removal applies at once', async () => {
    const customer = await h.newPage();
    await customer.page.goto('/console/');
    await customer.page.getByLabel('Username').fill('noordzee-portal');
    await customer.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await customer.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Their own notification address, on their Security page (every kind is on by default). The
    // stored settings arrive late here, as on a slow database: what is typed must not be lost to them.
    await customer.page.route('**/notification-settings', async (route) => {
      if (route.request().method() === 'GET') await sleep(700);
      await route.continue();
    });
    await customer.page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
    await customer.page.getByLabel('Your e-mail address').fill(PORTAL_ADDRESS);
    await customer.page.getByRole('button', { name: 'Save notifications' }).click();
    await customer.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
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

    // The approval's mail, queued with the decision, reaches the test SMTP server.
    const [request] = (await h.t.http().get(`/customers/${ours.id}/access-requests`).set(bearer(h.t.adminToken)).expect(200)).body.items as Array<{
      id: string;
      personId: string;
      status: string;
    }>;
    expect(request).toMatchObject({ status: 'approved', personId: expect.any(String) });
    expect(await h.t.app.get(OutboxWorker).round()).toMatchObject({ sent: 1, failed: 0 });
    const mails = smtp.to(PORTAL_ADDRESS);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('[ACS] Access request approved');
    expect(mails[0]!.text).toContain(`Your access request ${request!.id} (add_person) was approved by the datacenter.`);
    expect(mails[0]!.text).toContain(`Person reference: ${request!.personId}`);
    expect(mails[0]!.text).toContain(`Access level: ${site.suiteLevelId}`);
    expect(mails[0]!.text).toContain('/console/portal-requests');
    expect(leaks(mails[0]!.raw, ['Lena', 'Brouwer', 'lena@example.com', 'noordzee-portal'])).toEqual([]);

    // The customer administrator sees the decision and the new person.
    await customer.page.getByRole('button', { name: 'Refresh' }).click();
    await customer.page
      .getByRole('row', { name: /approved/ })
      .filter({ hasText: 'invited to enrolment' })
      .waitFor();
    await nav(customer.page).getByRole('link', { name: 'Our people' }).click();
    const lena = customer.page.getByRole('row', { name: /Lena Brouwer/ });
    await lena.filter({ hasText: 'not enrolled yet' }).waitFor();

    // She comes to the desk: staff issue her a card at the desk card reader from her person page.
    await staff.page.goto(`/console/people/${ours.id}/${request!.personId}`);
    const fleet = h.t.app.get(CardFleet);
    const listening = fleet.listenerCount('card');
    await staff.page.getByRole('button', { name: 'Issue a card', exact: true }).click();
    for (let i = 0; fleet.listenerCount('card') <= listening; i++) {
      if (i > 500) throw new Error('nobody started waiting for a card at the desk');
      await sleep(10);
    }
    fleet.emit('card', { readerId: deskId, read: { format: 'wiegand', bitCount: 26, data: Buffer.from([1, 4, 0x51, 0x40]) }, at: h.t.clock.nowMs() });
    await staff.page
      .getByRole('region', { name: 'Cards' })
      .getByText(/Card …\d\d issued/)
      .waitFor();
    // The customer administrator sees the enrolment appear.
    await customer.page.reload();
    await lena.filter({ hasText: '1 card' }).waitFor();
    await screenshot(customer.page, 'portal-person-enrolled');

    // Ending access needs no approval.
    await nav(customer.page).getByRole('link', { name: 'Requests' }).click();
    // (The page also files data-subject requests: its own "Request" and "Person" fields.)
    const form = customer.page.getByRole('region', { name: 'New request' });
    await form.getByLabel('Request', { exact: true }).selectOption('remove');
    await form.getByLabel('Person').selectOption({ label: 'Ruud Leaver' });
    await form.getByRole('button', { name: 'End access now' }).click();
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
