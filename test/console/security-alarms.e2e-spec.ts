import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { eventTopic } from '@acs/door-protocol';
import { MqttSecurityAudit } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectRawClient } from '@acs/mqtt/testing';
import { until } from '../badge-in/badge-in-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';

jest.setTimeout(60_000);

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface SecurityAlarm {
  id: string;
  count: number;
  state: string;
}

/**
 * Issue 16 item 3: an MQTT security alarm reaches the security desk's Live page without a reload,
 * with its count, window, kind and source, and is acknowledged there.
 */
describe('web console: MQTT security alarms on the Live page', () => {
  let h: ConsoleHarness;
  let ctl: { mqttUsername: string; mqttPassword: string };
  let page: Page;
  let security: string;

  const banner = () => page.getByRole('region', { name: /Security alarms/ });
  const alarms = async (): Promise<SecurityAlarm[]> =>
    (await h.t.http().get('/monitor/security-alarms').set(bearer(security)).expect(200)).body as SecurityAlarm[];

  beforeAll(async () => {
    h = await startConsoleHarness({ env: { READERS_ENABLED: 'false', SECURITY_ALARM_THRESHOLD: '10' } });
    const site = await post<{ id: string }>(h.t, '/sites', { name: 'Console alarm site', timeZone: 'Europe/Amsterdam' });
    ctl = await post(h.t, '/controllers', { siteId: site.id, name: 'Console alarm ctl', mqttId: 'console-alarm-ctl' });
    security = await h.t.tokenFor('security');
    ({ page } = await h.newPage());
    await h.signIn(page, security);
    await page.goto('/console/live');
    await page.locator('.live-stream', { hasText: /Event stream:\s*Live$/ }).waitFor();
    await page.evaluate('window.__liveMarker = "same page"');
  }, 90_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows no banner while no security alarm is open', async () => {
    await expect(banner().count()).resolves.toBe(0);
  });

  it('a flood of forged messages shows the alarm live with its count, window, kind and source', async () => {
    const c = await connectRawClient(h.t.app.get(MqttEdge).broker!.url, { username: ctl.mqttUsername, password: ctl.mqttPassword, clientId: ctl.mqttUsername });
    const forged = JSON.stringify({
      body: { v: 1, controllerId: ctl.mqttUsername, epoch: 1, seq: 1, type: 'opened', door: 1, ts: 1, nonce: 'n'.repeat(32) },
      mac: '0'.repeat(64),
    });
    for (let i = 0; i < 15; i++) c.publish(eventTopic(ctl.mqttUsername), forged, { qos: 0 });
    await until('the security alarm', async () => ((await alarms()).length === 1 ? true : undefined));
    await c.endAsync();
    await h.t.app.get(MqttSecurityAudit).flushAll();

    const row = banner().getByRole('row').filter({ hasText: ctl.mqttUsername });
    await row.waitFor({ timeout: 10_000 });
    const text = ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text).toContain('10 in 60 s');
    expect(text).toContain('Forged event (bad MAC)');
    await expect(page.evaluate('window.__liveMarker')).resolves.toBe('same page');
    await expect(page.locator('.live [aria-live="assertive"]').textContent()).resolves.toBe('New security alarm: 10 MQTT security events within 60 s.');
    // The security role may not read the audit trail: no link that would be refused.
    await expect(banner().getByRole('link').count()).resolves.toBe(0);
    // At the desk size the page does not scroll sideways, and axe finds nothing.
    await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
    await page.evaluate(axeSource);
    const violations = await page.evaluate(
      `(async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id))()`,
    );
    expect(violations).toEqual([]);
    await screenshot(page, '12-live-security-alarm');
  });

  it('an admin gets the link to the security events in the audit trail', async () => {
    const { page: admin } = await h.newPage();
    await h.signIn(admin, h.t.adminToken);
    await admin.goto('/console/live');
    const link = admin.getByRole('region', { name: /Security alarms/ }).getByRole('link', { name: 'Security events in the audit trail' });
    await link.click();
    await admin.waitForURL(/\/console\/audit\?action=mqtt\.security_event$/);
    await expect(admin.getByLabel(/^Action/).inputValue()).resolves.toBe('mqtt.security_event');
    await admin.getByText('mqtt.security_event', { exact: true }).first().waitFor();
  });

  it('acknowledges the alarm with a ticket reference; it leaves the banner and the server has it acknowledged', async () => {
    const [open] = await alarms();
    await banner()
      .getByRole('button', { name: `Acknowledge security alarm: 10 events from ${ctl.mqttUsername}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Acknowledge: security alarm' });
    await dialog.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    // Free text is refused with a clear error, and the dialog stays open.
    await dialog.getByLabel('Ticket reference (optional)').fill('called the tenant');
    await dialog.getByRole('button', { name: 'Acknowledge security alarm' }).click();
    await dialog.getByRole('alert').waitFor();
    expect((await alarms())[0].state).toBe('open');
    await dialog.getByLabel('Ticket reference (optional)').fill('INC-2026-118');
    await dialog.getByRole('button', { name: 'Acknowledge security alarm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await banner().waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Acknowledged: security alarm' }).waitFor();
    expect(await alarms()).toEqual([expect.objectContaining({ id: open.id, state: 'acknowledged' })]);
    const acks = (await h.t.http().get('/audit').query({ action: 'mqtt.security_alarm_acknowledge' }).set(bearer(h.t.adminToken)).expect(200)).body
      .items as Array<{ targetId: string; details: Record<string, string> }>;
    expect(acks).toEqual([expect.objectContaining({ targetId: open.id, details: { note: 'INC-2026-118' } })]);
  });
});
