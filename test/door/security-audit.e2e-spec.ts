import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventTopic } from '@acs/door-protocol';
import { MqttSecurityAudit } from '@acs/door-control';
import { DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectRawClient, waitFor } from '@acs/mqtt/testing';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Secrets {
  mqttUsername: string;
  mqttPassword: string;
}

interface AuditRow {
  action: string;
  actorType: string;
  actorId: string | null;
  outcome: string;
  details: Record<string, string | number>;
}

/**
 * Issue 16 item 3: forged MACs, malformed messages, broker refusals and ACL denials were warn
 * lines only. They reach the audit trail now, aggregated (a flood from one login is one record
 * with a count), raise an alarm past the threshold, and their log lines are limited per client.
 */
describe('MQTT security events in the audit trail', () => {
  let t: TestApp;
  let a: Secrets;
  let b: Secrets;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false', SECURITY_ALARM_THRESHOLD: '50' } });
    const site = await post<{ id: string }>(t, '/sites', { name: 'Security site', timeZone: 'Europe/Amsterdam' });
    a = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Security A', mqttId: 'sec-ctl-a' });
    b = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Security B', mqttId: 'sec-ctl-b' });
  });
  afterAll(() => t?.close());

  const audit = async (action: string): Promise<AuditRow[]> =>
    (await t.http().get('/audit').query({ action, limit: 100 }).set(bearer(t.adminToken)).expect(200)).body.items as AuditRow[];

  it('a flood of 3,568 forged events from one login (as reported) is one audit record with its count, and one alarm', async () => {
    const security: string[] = [];
    t.app.get(DoorCommandService).on('security', (e) => security.push(e.kind));
    const c = await connectRawClient(t.app.get(MqttEdge).broker!.url, { username: a.mqttUsername, password: a.mqttPassword, clientId: a.mqttUsername });
    const forged = JSON.stringify({
      body: { v: 1, controllerId: a.mqttUsername, epoch: 1, seq: 1, type: 'opened', door: 1, ts: 1, nonce: 'n'.repeat(32) },
      mac: '0'.repeat(64),
    });
    for (let i = 0; i < 3568; i++) c.publish(eventTopic(a.mqttUsername), forged, { qos: 0 });
    await waitFor(() => security.length >= 3568, 20_000, '3,568 security events');
    await c.endAsync();
    await t.app.get(MqttSecurityAudit).flushAll();

    const rows = (await audit('mqtt.security_event')).filter((r) => r.actorId === a.mqttUsername);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorType: 'device', outcome: 'denied', details: { kind: 'forged-event', count: 3568 } });
    const alarms = await audit('mqtt.security_alarm');
    expect(alarms).toHaveLength(1);
    expect(alarms[0].details).toMatchObject({ count: 50 });
    // Log lines limited per client: a handful, not 3,568.
    await waitFor(() => t.logs.text().includes('security: forged-event'), 5000, 'security log lines');
    const lines = t.logs
      .text()
      .split('\n')
      .filter((l) => l.includes('security: forged-event'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
  });

  it('broker refusals (bad password, ACL denial) reach the audit trail too', async () => {
    await expect(
      connectRawClient(t.app.get(MqttEdge).broker!.url, { username: b.mqttUsername, password: 'not-the-password', clientId: b.mqttUsername }),
    ).rejects.toMatchObject({ code: 4 });
    const c = await connectRawClient(t.app.get(MqttEdge).broker!.url, { username: b.mqttUsername, password: b.mqttPassword, clientId: b.mqttUsername });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(eventTopic(a.mqttUsername), 'impersonation', { qos: 1 }); // another controller's topic: ACL denial, connection closed
    await closed;
    await c.endAsync(true);
    await t.app.get(MqttSecurityAudit).flushAll();
    const rows = (await audit('mqtt.security_event')).filter((r) => r.actorId === b.mqttUsername);
    expect(rows.map((r) => r.details.kind).sort()).toEqual(['broker-connect', 'broker-publish']);
    expect(rows.find((r) => r.details.kind === 'broker-publish')?.details.reason).toContain('acs/v1/sec-ctl-a/event');
  });
});
