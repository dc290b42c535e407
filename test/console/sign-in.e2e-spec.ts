import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, post } from '../support/registry-fixture.js';

describe('web console: sign in and roles', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("is served under /console with the API's security headers, client routes included", async () => {
    const index = await h.t.http().get('/console/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    const deep = await h.t.http().get('/console/live');
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(index.text);
    // The API behind it still refuses a request without a token.
    expect((await h.t.http().get('/monitor/doors')).status).toBe(401);
  });

  it("refuses a wrong token with the server's problem code and keeps the form", async () => {
    const { page } = await h.newPage();
    await page.goto('/console/');
    await page.getByRole('button', { name: 'Use an API token' }).click();
    await page.getByLabel('Staff token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('auth.unauthenticated');
    await expect(page.getByLabel('Staff token').inputValue()).resolves.toBe('not-a-real-token');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '00-sign-in-refused');
  });

  it('refuses a customer token: the console is for staff', async () => {
    const customer = await post<{ id: string }>(h.t, '/customers', {
      companyName: 'Console Cust B.V.',
      contractRef: 'CON-1',
      serviceStart: '2026-01-01T00:00:00Z',
    });
    const issued = await h.t.http().post(`/customers/${customer.id}/tokens`).set(bearer(h.t.adminToken)).send({});
    expect(issued.status).toBe(201);
    const { page } = await h.newPage();
    await page.goto('/console/');
    await page.getByRole('button', { name: 'Use an API token' }).click();
    await page.getByLabel('Staff token').fill(issued.body.token as string);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('console.staff_only');
  });

  it.each([
    ['admin', ['Live', 'People', 'Enrolment', 'Zones', 'History', 'Compliance', 'Audit', 'Access requests', 'Visitors today', 'Accounts']],
    ['security', ['Live', 'People', 'Enrolment', 'Zones', 'History', 'Access requests', 'Visitors today']],
    ['compliance', ['People', 'History', 'Compliance', 'Audit', 'Access requests']],
    ['auditor', ['People', 'History', 'Compliance', 'Audit', 'Access requests']],
  ] as const)('shows a %s the pages the API lets that role use', async (role, expected) => {
    const token = role === 'admin' ? h.t.adminToken : await h.t.tokenFor(role);
    const { page } = await h.newPage();
    await h.signIn(page, token);
    const links = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    expect(links).toEqual(expected);
    await expect(page.locator('.whoami strong').textContent()).resolves.toBe(role);
  });

  it('keeps the session across a reload and ends it when the token is revoked', async () => {
    const token = await h.t.tokenFor('security');
    const { page } = await h.newPage();
    await h.signIn(page, token);
    await page.reload();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    const me = await h.t.http().get('/auth/me').set(bearer(token));
    const revoked = await h.t
      .http()
      .delete(`/tokens/${me.body.tokenId as string}`)
      .set(bearer(h.t.adminToken));
    expect(revoked.status).toBeLessThan(300);
    await page.reload();
    await page.getByLabel('Username').waitFor();
    await expect(page.getByRole('navigation', { name: 'Console' }).count()).resolves.toBe(0);
  });
});
