import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, createCustomer, createPerson } from '../support/registry-fixture.js';

describe('web console: audit trail', () => {
  let h: ConsoleHarness;
  let customerIds: string[];

  beforeAll(async () => {
    h = await startConsoleHarness();
    customerIds = [];
    // More than one page (50) of entries, so that paging has something to do.
    for (let i = 0; i < 55; i++) customerIds.push((await createCustomer(h.t)).id);
    for (const id of customerIds.slice(0, 3)) {
      const res = await h.t
        .http()
        .patch(`/customers/${id}`)
        .set(bearer(h.t.adminToken))
        .send({ companyName: `Renamed ${id.slice(0, 4)} B.V.` });
      if (res.status !== 200) throw new Error(`rename ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await createPerson(h.t, customerIds[0]);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const rows = (page: Page) => page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr');
  const apiEntries = async (query: Record<string, string>) => {
    const res = await h.t
      .http()
      .get('/audit')
      .query({ limit: 500, ...query })
      .set(bearer(h.t.adminToken));
    expect(res.status).toBe(200);
    return res.body.items as Array<{ seq: number; action: string; targetId: string | null }>;
  };

  it('shows what was done through the API, narrows by action, and verifies the chain (auditor, read-only)', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('auditor'));
    await page.getByRole('link', { name: 'Audit' }).click();
    await rows(page).first().waitFor();
    const all = await rows(page).allInnerTexts();
    expect(all.some((r) => r.includes('customer.update'))).toBe(true);
    expect(all.some((r) => r.includes('customer.create'))).toBe(true);
    expect(all.some((r) => r.includes('person.create'))).toBe(true);

    await page.getByLabel('Action').fill('customer.update');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const expected = await apiEntries({ action: 'customer.update' });
    expect(expected).toHaveLength(3);
    await page.getByText(`${expected.length} entries shown`).waitFor();
    const narrowed = await rows(page).allInnerTexts();
    expect(narrowed).toHaveLength(expected.length);
    for (const r of narrowed) expect(r).toContain('customer.update');
    // Newest first, the same sequence numbers as the API.
    expect(narrowed.map((r) => Number(r.split(/\s/)[0]))).toEqual(expected.map((e) => e.seq));

    await page.getByRole('button', { name: `Show details of entry ${expected[0].seq}` }).click();
    // Readable: the target by its name, not a cut id; details as named fields, not JSON.
    expect(narrowed[0]).toContain(`Renamed ${expected[0].targetId!.slice(0, 4)} B.V.`);
    expect(narrowed.join('\n')).not.toContain('…');
    const details = (await page.locator('.audit-details').textContent()) ?? '';
    expect(details).toContain('Request');
    expect(details).toContain(expected[0].targetId);
    expect(details).not.toMatch(/[{}"]/);

    await page.getByRole('button', { name: 'Verify audit chain' }).click();
    await page.getByText('Chain intact').waitFor();
    await expect(page.getByText('Chain broken').count()).resolves.toBe(0);

    // An auditor reads: the only controls are filters, paging, details and verification.
    const buttons = await page.locator('main button').allTextContents();
    expect(buttons.filter((b) => !['Refresh', 'Verify audit chain', 'Apply filters', 'Clear', 'Show', 'Hide', 'Load more'].includes(b.trim()))).toEqual([]);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '60-audit');
  }, 60_000);

  it('pages with "Load more" and offers verification only to the roles the API allows', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('compliance'));
    await page.goto('/console/audit');
    await rows(page).first().waitFor();
    const total = (await apiEntries({})).length;
    expect(total).toBeGreaterThan(50);
    await page.getByText('50 entries shown, more available').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows(page).nth(50).waitFor();
    await expect(rows(page).count()).resolves.toBe(Math.min(total, 100));
    await expect(page.getByRole('button', { name: 'Verify audit chain' }).count()).resolves.toBe(0);
  }, 60_000);
});
