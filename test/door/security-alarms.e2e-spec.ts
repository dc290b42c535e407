import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventTopic } from '@acs/door-protocol';
import { MqttSecurityAudit } from '@acs/door-control';
import { DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectRawClient, waitFor } from '@acs/mqtt/testing';
import { openSse } from '../badge-in/badge-in-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Secrets {
  mqttUsername: string;
  mqttPassword: string;
}

interface SecurityAlarm {
  id: string;
  at: string;
  count: number;
  windowS: number;
  kind: string;
  source: string;
  state: string;
  acknowledgedAt: string | null;
}

/**
 * Issue 16 item 3, last part: past SECURITY_ALARM_THRESHOLD events a minute the alarm reaches
 * the security desk (GET /monitor/security-alarms and the live event stream), which
 * acknowledges it; the audit trail stays the only store.
 */
describe('MQTT security alarms on the security desk', () => {
  let t: TestApp;
  let a: Secrets;
  let security: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false', SECURITY_ALARM_THRESHOLD: '30' } });
    const site = await post<{ id: string }>(t, '/sites', { name: 'Alarm site', timeZone: 'Europe/Amsterdam' });
    a = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Alarm A', mqttId: 'alarm-ctl-a' });
    security = await t.tokenFor('security');
  });
  afterAll(() => t?.close());

  const list = async (token = security): Promise<SecurityAlarm[]> =>
    (await t.http().get('/monitor/security-alarms').set(bearer(token)).expect(200)).body as SecurityAlarm[];

  it('a flood of forged and malformed messages raises one open alarm with its count, pushed live, and acknowledge closes it', async () => {
    const stream = await openSse(t, '/monitor/events', security);
    expect(stream.status).toBe(200);
    try {
      const seen: string[] = [];
      t.app.get(DoorCommandService).on('security', (e) => seen.push(e.kind));
      const c = await connectRawClient(t.app.get(MqttEdge).broker!.url, { username: a.mqttUsername, password: a.mqttPassword, clientId: a.mqttUsername });
      const forged = JSON.stringify({
        body: { v: 1, controllerId: a.mqttUsername, epoch: 1, seq: 1, type: 'opened', door: 1, ts: 1, nonce: 'n'.repeat(32) },
        mac: '0'.repeat(64),
      });
      for (let i = 0; i < 20; i++) c.publish(eventTopic(a.mqttUsername), forged, { qos: 0 });
      for (let i = 0; i < 20; i++) c.publish(eventTopic(a.mqttUsername), '{not json', { qos: 0 });
      await waitFor(() => seen.length >= 40, 20_000, '40 security events');
      await c.endAsync();
      await t.app.get(MqttSecurityAudit).flushAll();

      const open = await list();
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ count: 30, windowS: 60, source: a.mqttUsername, state: 'open', acknowledgedAt: null });
      expect(open[0].kind).toBe('malformed-message'); // the 30th event, the one that crossed the threshold
      // Ids, counts and kinds only.
      expect(Object.keys(open[0]).sort()).toEqual(['acknowledgedAt', 'at', 'count', 'id', 'kind', 'source', 'state', 'windowS']);

      await waitFor(() => stream.events.some((e) => e.event === 'security_alarm'), 5000, 'security_alarm on the live stream');
      const pushed = stream.events.filter((e) => e.event === 'security_alarm');
      expect(pushed).toHaveLength(1);
      expect(pushed[0].data).toMatchObject({ type: 'security_alarm', id: open[0].id, count: 30, windowS: 60, source: a.mqttUsername });

      const ack = await t.http().post(`/monitor/security-alarms/${open[0].id}/acknowledge`).set(bearer(security)).send({ note: 'INC-4711' }).expect(200);
      expect(ack.body).toMatchObject({ id: open[0].id, state: 'acknowledged' });
      expect((await list()).filter((x) => x.state === 'open')).toHaveLength(0);
      await waitFor(() => stream.events.some((e) => e.event === 'security_alarm_acknowledged'), 5000, 'acknowledgement on the live stream');

      // Once only; the acknowledgement is its own audit entry.
      const again = await t.http().post(`/monitor/security-alarms/${open[0].id}/acknowledge`).set(bearer(security)).send({}).expect(409);
      expect(again.body.code).toBe('security_alarm.already_acknowledged');
      const acks = (await t.http().get('/audit').query({ action: 'mqtt.security_alarm_acknowledge' }).set(bearer(t.adminToken)).expect(200)).body
        .items as Array<{ targetId: string; details: Record<string, unknown> }>;
      expect(acks).toHaveLength(1);
      expect(acks[0]).toMatchObject({ targetId: open[0].id, details: { note: 'INC-4711' } });
    } finally {
      stream.close();
    }
  });

  it('refuses free-text notes, unknown ids and other roles with problem codes', async () => {
    const [alarm] = await list();
    const free = await t.http().post(`/monitor/security-alarms/${alarm.id}/acknowledge`).set(bearer(security)).send({ note: 'called Jane Doe' }).expect(400);
    expect(free.body.code).toBe('validation.failed');
    const unknown = await t.http().post('/monitor/security-alarms/00000000-0000-4000-8000-000000000000/acknowledge').set(bearer(security)).send({}).expect(404);
    expect(unknown.body.code).toBe('security_alarm.not_found');
    const auditor = await t.tokenFor('auditor');
    await t.http().get('/monitor/security-alarms').set(bearer(auditor)).expect(403);
  });
});
