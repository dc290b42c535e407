import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { commandTopic, newNonce, replyTopic, signEnvelope } from '@acs/door-protocol';
import { DoorCommandError, DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectRawClient, startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Secrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

/**
 * The server's door edge as `npm start` wires it: the embedded broker authenticates controllers
 * registered over the HTTP API, and door commands are signed with their registry secrets.
 */
describe('door control wired to the registry', () => {
  let t: TestApp;
  let siteId: string;
  let url: string;
  const controllers: VirtualController[] = [];

  const register = async (mqttId: string): Promise<Secrets> => post<Secrets>(t, '/controllers', { siteId, name: `Controller ${mqttId}`, mqttId });
  const virtual = async (s: Pick<Secrets, 'mqttUsername' | 'mqttPassword' | 'signingSecret'>) => {
    const c = await startVirtualController(
      url,
      { controllerId: s.mqttUsername, password: s.mqttPassword, secret: Buffer.from(s.signingSecret, 'base64') },
      { clock: t.clock, doors: 2 },
    );
    controllers.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp();
    siteId = (await post<{ id: string }>(t, '/sites', { name: 'Door control site' })).id;
    url = t.app.get(MqttEdge).broker!.url;
  });
  afterEach(async () => {
    await Promise.all(controllers.splice(0).map((c) => c.stop()));
  });
  afterAll(() => t.close());

  it('reports the embedded broker in /ready', async () => {
    const res = await t.http().get('/ready').expect(200);
    expect(res.body.details.broker).toMatchObject({ status: 'up', embedded: true });
  });

  it('unlocks a door of a controller registered over HTTP, signed with its registry secret', async () => {
    const s = await register('e2e-ctl-1');
    await virtual(s);
    const doors = t.app.get(DoorCommandService);
    await expect(doors.unlock('e2e-ctl-1', 1, 500)).resolves.toMatchObject({ ok: true });
  });

  it('refuses a controller with a wrong password and stops the old one after rotation', async () => {
    const s = await register('e2e-ctl-2');
    await expect(connectRawClient(url, { username: 'e2e-ctl-2', password: 'not-the-password', clientId: 'e2e-ctl-2' })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
    const rotated = await post<Secrets>(t, `/controllers/${s.id}/rotate-secrets`, {});
    await expect(connectRawClient(url, { username: 'e2e-ctl-2', password: s.mqttPassword, clientId: 'e2e-ctl-2' })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
    await virtual(rotated);
    await expect(t.app.get(DoorCommandService).unlock('e2e-ctl-2', 1, 500)).resolves.toMatchObject({ ok: true });
  });

  it('a controller signing with an outdated secret gets its commands rejected, not executed', async () => {
    const s = await register('e2e-ctl-3');
    const rotated = await post<Secrets>(t, `/controllers/${s.id}/rotate-secrets`, {});
    // right broker password, old signing secret: the controller refuses the server's MAC
    await virtual({ ...rotated, signingSecret: s.signingSecret });
    const err = await t.app
      .get(DoorCommandService)
      .unlock('e2e-ctl-3', 1, 500)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DoorCommandError);
  });

  it('fails fast with the reason when the controller is offline', async () => {
    await register('e2e-ctl-4');
    const err = (await t.app
      .get(DoorCommandService)
      .unlock('e2e-ctl-4', 1, 500)
      .catch((e: unknown) => e)) as DoorCommandError;
    expect(err).toBeInstanceOf(DoorCommandError);
    expect(err.code).toMatch(/controller-offline|no-reply/);
  });

  it('refuses MQTT connections that claim the server identity without its password', async () => {
    await expect(connectRawClient(url, { username: 'acs-server', password: 'guess-guess-guess', clientId: 'acs-server-x' })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
    const res = await t.http().get('/controllers').set(bearer(t.adminToken)).expect(200);
    expect(res.body.items.length).toBeGreaterThan(0);
  });

  it('a controller refuses a command under a lower fence than one it has accepted (a server instance that lost it in a failover)', async () => {
    const s = await register('e2e-ctl-fence');
    const c = await virtual(s);
    const secret = Buffer.from(s.signingSecret, 'base64');
    const client = t.app.get(MqttEdge).client;
    const rejected: string[] = [];
    c.on('rejected', (r) => rejected.push(r.reason));
    const unlock = (fence: number) => {
      const topic = commandTopic('e2e-ctl-fence');
      const body = {
        v: 1,
        cmd: 'unlock',
        door: 1,
        durationMs: 300,
        requestId: randomUUID(),
        replyTo: replyTopic('e2e-ctl-fence'),
        ts: t.clock.nowMs(),
        nonce: newNonce(),
        fence,
      };
      return client.publish(topic, JSON.stringify(signEnvelope(secret, topic, body)), { qos: 1 });
    };
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await sleep(20);
      if (!ok()) throw new Error(`timed out waiting for ${what}`);
    };
    await unlock(7);
    await until('the fenced unlock', () => c.relayActivations(1) === 1);
    await unlock(5);
    await until('the refusal', () => rejected.includes('fenced'));
    expect(c.relayActivations(1)).toBe(1);
    // The current holder's token (equal, or higher after another takeover) still works, once the first unlock has ended.
    await sleep(500);
    await unlock(7);
    await until('the second unlock', () => c.relayActivations(1) === 2);
    expect(rejected).toEqual(['fenced']);
  });
});
