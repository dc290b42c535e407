import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';

jest.setTimeout(60_000);

describe('web console: people', () => {
  let h: ConsoleHarness;
  let site: SiteFixture;
  let customerId: string;
  let company: string;
  let petraId: string;
  let suiteDoor: string;
  let cageDoor: string;
  const requested: string[] = [];

  /** Every URL the browser asked for, to prove no name ever travels in one. */
  const record = (page: Page) => page.on('request', (r) => requested.push(decodeURIComponent(r.url())));

  beforeAll(async () => {
    h = await startConsoleHarness();
    site = await buildSite(h.t);
    company = 'Petrol Hosting B.V.';
    customerId = (await createCustomer(h.t, { companyName: company })).id;
    petraId = (await createPerson(h.t, customerId, { fullName: 'Petra Jansen', email: 'petra@example.com' })).id;
    await createPerson(h.t, customerId, { fullName: 'Klaas Visser' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId, personId: petraId });
    const door = async (id: string) => (await h.t.http().get(`/doors/${id}`).set(bearer(h.t.adminToken)).expect(200)).body.name as string;
    suiteDoor = await door(site.suiteDoorId);
    cageDoor = await door(site.cageDoorId);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const accessRow = (page: Page, door: string) =>
    page.locator('table.access-table tbody tr', { has: page.getByRole('rowheader', { name: door, exact: true }) });

  it('browses customer → person and shows which doors the person can open now, and why not', async () => {
    const { page } = await h.newPage();
    record(page);
    await h.signIn(page, h.t.adminToken);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
    const customerRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: company }) });
    await expect(customerRow.textContent()).resolves.toMatch(/active/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '20-people-customers');

    await page.getByRole('link', { name: company }).click();
    await page.getByRole('link', { name: 'Klaas Visser' }).waitFor();
    await page.getByLabel('Search by name').fill('petra');
    await expect(page.getByRole('link', { name: 'Klaas Visser' }).count()).resolves.toBe(0);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '21-people-customer');

    await page.getByRole('link', { name: 'Petra Jansen' }).click();
    await page.getByRole('heading', { name: 'Petra Jansen', level: 1 }).waitFor();
    await accessRow(page, suiteDoor).getByText('Allowed').waitFor();
    await expect(accessRow(page, suiteDoor).textContent()).resolves.toContain(`Suite`);
    const denied = accessRow(page, cageDoor);
    await denied.getByText('Denied').waitFor();
    await expect(denied.textContent()).resolves.toContain('No grant covers this door');
    await expect(page.getByRole('region', { name: 'Grants' }).textContent()).resolves.toContain('This person');
    await expect(page.getByRole('region', { name: 'Enrolled fingers' }).textContent()).resolves.toContain('No finger enrolled');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '22-people-person');

    expect(page.url()).toContain(`/console/people/${customerId}/${petraId}`);
    expect(requested.filter((u) => /petra|jansen|klaas/i.test(u))).toEqual([]);
  });

  it('grants and revokes an access level (security) and the effective access follows', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await page.goto(`/console/people/${customerId}/${petraId}`);
    await accessRow(page, cageDoor).getByText('Denied').waitFor();
    const levels = (await h.t.http().get(`/access-levels/${site.cageLevelId}`).set(bearer(h.t.adminToken)).expect(200)).body as { name: string };
    await page.getByLabel('Access level').selectOption({ label: levels.name });
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    // 09:00Z on a Thursday is inside the cage level's office hours (Amsterdam).
    await accessRow(page, cageDoor).getByText('Allowed').waitFor();
    const grants = await h.t.http().get('/grants').query({ personId: petraId, accessLevelId: site.cageLevelId }).set(bearer(h.t.adminToken)).expect(200);
    expect(grants.body.items).toHaveLength(1);

    await page.getByRole('button', { name: `Revoke grant ${levels.name}` }).click();
    await page.getByRole('button', { name: 'Confirm revoke' }).click();
    await accessRow(page, cageDoor).getByText('Denied').waitFor();
    const after = await h.t.http().get('/grants').query({ personId: petraId, accessLevelId: site.cageLevelId }).set(bearer(h.t.adminToken)).expect(200);
    expect(after.body.items).toHaveLength(0);
  });

  it("adds a person, showing the server's validation error under the e-mail field", async () => {
    const { page } = await h.newPage();
    record(page);
    await h.signIn(page, h.t.adminToken);
    await page.goto(`/console/people/${customerId}`);
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByLabel('Full name').fill('Anouk de Boer');
    await page.getByLabel('E-mail').fill('anouk-at-example');
    await page.getByRole('button', { name: 'Save person' }).click();
    const email = page.getByLabel('E-mail');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('validation.failed');
    await expect(email.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
    await expect(page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent()).resolves.toMatch(/email must be an email/);
    await expect(page.getByLabel('Full name').getAttribute('aria-invalid')).resolves.toBeNull();
    await expect(page.evaluate("document.activeElement && document.activeElement.getAttribute('name')")).resolves.toBe('email');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '23-people-add-invalid');

    const before = await h.t.http().get(`/customers/${customerId}/people`).set(bearer(h.t.adminToken)).expect(200);
    expect((before.body.items as Array<{ fullName: string }>).map((p) => p.fullName)).not.toContain('Anouk de Boer');
    await email.fill('anouk@example.com');
    await page.getByRole('button', { name: 'Save person' }).click();
    await page.getByRole('status').getByRole('link', { name: 'Anouk de Boer' }).waitFor();
    await page.getByRole('table').getByRole('link', { name: 'Anouk de Boer' }).waitFor();
    const people = await h.t.http().get(`/customers/${customerId}/people`).set(bearer(h.t.adminToken)).expect(200);
    expect(people.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ fullName: 'Anouk de Boer', email: 'anouk@example.com' })]));
    expect(requested.filter((u) => /anouk/i.test(u))).toEqual([]);
  });

  it.each(['compliance', 'auditor'] as const)('a %s user reads people and access but sees no write buttons', async (role) => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor(role));
    await page.goto(`/console/people/${customerId}`);
    await page.getByRole('link', { name: 'Petra Jansen' }).waitFor();
    await expect(page.getByRole('button', { name: 'Add person' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Petra Jansen' }).click();
    await accessRow(page, suiteDoor).getByText('Allowed').waitFor();
    await expect(page.getByRole('region', { name: 'Grants' }).textContent()).resolves.toContain('This person');
    await expect(page.getByRole('button', { name: /grant|revoke|add|enrol|delete/i }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Enrol a finger' }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Access level').count()).resolves.toBe(0);
    if (role === 'compliance') await screenshot(page, '24-people-person-compliance');
  });
});
