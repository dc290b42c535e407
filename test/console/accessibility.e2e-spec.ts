import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { buildSite, createCustomer, createPerson, post } from '../support/registry-fixture.js';
import { startConsoleHarness, type ConsoleHarness } from './console-support.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string;
  nodes: number;
  targets: string[];
}

/**
 * axe-core's WCAG 2.x A and AA rules (contrast, names, labels, landmarks, ARIA) on the page as
 * the desk sees it. Evaluated through the debugging protocol, which the page's CSP does not
 * govern, so the console needs no exception for the test.
 */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return (await page.evaluate(`(async () => {
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => String(n.target)) }));
  })()`)) as AxeViolation[];
}

describe('web console accessibility', () => {
  let h: ConsoleHarness;
  let customerId: string;
  let personId: string;

  beforeAll(async () => {
    h = await startConsoleHarness();
    const site = await buildSite(h.t);
    customerId = (await createCustomer(h.t)).id;
    personId = (await createPerson(h.t, customerId, { fullName: 'Ada Access', email: 'ada@example.com' })).id;
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId, personId });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('signs in with the keyboard alone, and the skip link reaches the content', async () => {
    const { page } = await h.newPage();
    await page.goto('/console/');
    // The username field has focus on arrival (checked, not assumed: `goto` resolves on the load
    // event, before the app has rendered; keys typed earlier go nowhere). Past the password and
    // the sign-in button, "Use an API token" swaps in the token form, whose field takes the
    // focus; Enter submits. (Password sign-in by keyboard: password-sign-in.e2e-spec.ts.)
    await page.waitForFunction(`document.activeElement && document.activeElement.getAttribute('name') === 'username'`, undefined, { timeout: 20_000 });
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Use an API token');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`document.activeElement && document.activeElement.getAttribute('name') === 'token'`, undefined, { timeout: 5_000 });
    await page.keyboard.type(h.t.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('main');
  }, 60_000);

  it.each([
    ['sign-in', null],
    ['live', '/console/live'],
    ['people', '/console/people'],
    ['person', 'PERSON'],
    ['enrolment', '/console/enrol'],
    ['history', 'HISTORY'],
    ['compliance', '/console/compliance'],
    ['audit', '/console/audit'],
    ['security', '/console/security'],
    ['security, TOTP set-up', 'TOTP'],
    ['password reset', 'RESET'],
  ])('%s page: no WCAG 2.1 A/AA violations', async (_name, path) => {
    const { page } = await h.newPage();
    if (path === null) {
      await page.goto('/console/');
      await page.getByLabel('Username').waitFor();
    } else if (path === 'RESET') {
      await page.goto('/console/password-reset');
      await page.getByLabel('Reset token').waitFor();
    } else if (path === 'TOTP') {
      await h.signIn(page, h.t.adminToken);
      await page.goto('/console/security');
      await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
      await page.getByRole('img', { name: /QR code/ }).waitFor();
    } else {
      await h.signIn(page, h.t.adminToken);
      const url = path === 'PERSON' ? `/console/people/${customerId}/${personId}` : path === 'HISTORY' ? `/console/history?customer=${customerId}` : path;
      await page.goto(url);
      await page.locator('main h1').first().waitFor();
      // Let the page's first loads settle (tables, lists) before judging it.
      await page.waitForLoadState('networkidle', { timeout: 2000 }).catch(() => undefined);
    }
    expect(await axeViolations(page)).toEqual([]);
  });
});
