import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectRawClient, type MosquittoInstance, startMosquitto, startVirtualController } from '@acs/mqtt/testing';
import { mosquittoAuthInput, mosquittoFiles } from '../../apps/cli/src/mqtt-acl.js';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Secrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

/**
 * Mosquitto as the external broker: `acsctl mqtt:acl` output (from the registry's stored hashes)
 * configures it, the server connects with MQTT_BROKER_URL, and a registered controller is
 * commanded through it.
 */
describe('external Mosquitto configured from the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-ext-'));
  const env = { MASTER_KEY: randomBytes(32).toString('base64'), MQTT_SERVER_PASSWORD: 'server-pass-0123456789' };
  let secrets: Secrets;
  let mosquitto: MosquittoInstance;
  let t: TestApp;
  let controller: VirtualController | undefined;

  beforeAll(async () => {
    // 1. register a controller on a server with the embedded broker
    const first = await startTestApp({ dir, keepDir: true, env });
    const siteId = (await post<{ id: string }>(first, '/sites', { name: 'External broker site' })).id;
    secrets = await post<Secrets>(first, '/controllers', { siteId, name: 'Ext controller', mqttId: 'ext-ctl-1' });
    const input = await mosquittoAuthInput(first.config, first.app.get(DataSource));
    await first.close();
    // 2. Mosquitto with the generated password and ACL files
    mosquitto = await startMosquitto(input);
    // 3. the same data, now on the external broker
    t = await startTestApp({ dir, keepDir: true, env: { ...env, MQTT_BROKER_URL: mosquitto.url } });
  });

  afterAll(async () => {
    await controller?.stop();
    await t?.close();
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders password entries from stored hashes, never a controller password', async () => {
    const files = await mosquittoFiles(t.config, t.app.get(DataSource));
    expect(files.passwordFile).toMatch(/^ext-ctl-1:\$7\$101\$/m);
    expect(files.passwordFile).toMatch(/^acs-server:\$7\$/m);
    expect(files.passwordFile).not.toContain(secrets.mqttPassword);
    expect(files.aclFile).toContain('user ext-ctl-1');
  });

  it('runs the server on Mosquitto without an embedded broker and unlocks through it', async () => {
    expect(t.app.get(MqttEdge).broker).toBeUndefined();
    const ready = await t.http().get('/ready').expect(200);
    expect(ready.body.details.broker).toMatchObject({ status: 'up', embedded: false });
    controller = await startVirtualController(
      mosquitto.url,
      { controllerId: 'ext-ctl-1', password: secrets.mqttPassword, secret: Buffer.from(secrets.signingSecret, 'base64') },
      { clock: t.clock, doors: 1 },
    );
    await expect(t.app.get(DoorCommandService).unlock('ext-ctl-1', 1, 300)).resolves.toMatchObject({ ok: true });
  });

  it('lets Mosquitto refuse a wrong controller password', async () => {
    await expect(connectRawClient(mosquitto.url, { username: 'ext-ctl-1', password: 'wrong-password-123', clientId: 'ext-ctl-1' })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
  });
});
