import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { bearer, post } from '../support/registry-fixture.js';
import { axeViolations } from './axe.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';

jest.setTimeout(60_000);

/**
 * The Live page's failover panel (issue 18): which server serves which failover group's readers
 * and controllers, since when. A single server with no failover group shows no panel.
 */
describe('web console: device failover on the Live page', () => {
  let h: ConsoleHarness;
  let siteId: string;

  beforeAll(async () => {
    h = await startConsoleHarness();
    siteId = (await post<{ id: string }>(h.t, '/sites', { name: 'Failover site' })).id;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('shows no failover panel where no device fails over, then the serving instance once one does', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await page.getByRole('heading', { name: 'Doors' }).waitFor();
    // Give the panel's query time to answer before saying it is absent.
    await page.waitForResponse((r) => r.url().endsWith('/cluster/device-leases'));
    await expect(page.getByRole('heading', { name: 'Device failover' }).count()).resolves.toBe(0);

    // A reader behind a device server (a closed port: nothing answers, the lease is what counts).
    const reader = await post<{ failoverGroup: string | null }>(h.t, '/readers', {
      siteId,
      name: 'Suite 9 entry',
      model: 'R50x',
      transport: 'tcp://127.0.0.1:9',
      role: 'door',
      failoverGroup: 'hall-a',
    });
    expect(reader.failoverGroup).toBe('hall-a');
    const leases = await (async () => {
      for (let i = 0; i < 100; i++) {
        const res = await h.t.http().get('/cluster/device-leases').set(bearer(h.t.adminToken)).expect(200);
        if ((res.body as unknown[]).length > 0) return res.body as Array<{ holder: string; preferredHost: string; live: boolean }>;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the instance never took its failover lease');
    })();
    expect(leases).toEqual([expect.objectContaining({ group: 'hall-a', preferredHost: 'default', holder: 'default', live: true })]);

    const panel = page.locator('section', { has: page.getByRole('heading', { name: 'Device failover' }) });
    await panel.waitFor({ timeout: 15_000 });
    const row = panel.getByRole('row', { name: /Server default/ });
    await expect(row.getByRole('cell').nth(0).textContent()).resolves.toBe('Server default');
    await expect(row.textContent()).resolves.toContain('Serving');
    await expect(row.textContent()).resolves.toContain('Failover group hall-a');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '70-live-failover');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('refuses a failover group on a reader wired to a serial port', async () => {
    const res = await h.t
      .http()
      .post('/readers')
      .set(bearer(h.t.adminToken))
      .send({ siteId, name: 'Desk', model: 'R50x', transport: '/dev/ttyUSB7', role: 'enrolment', failoverGroup: 'hall-a' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('reader.failover_needs_network');
  });
});
