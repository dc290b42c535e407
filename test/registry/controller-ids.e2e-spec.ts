import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@acs/config';
import { ControllerEntity } from '@acs/registry';
import { mosquittoFiles } from '../../apps/cli/src/mqtt-acl.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 16 item 4: `POST /controllers` accepted `acs-server` and `acs-server-*` as MQTT ids, which
 * are the server's own broker accounts; `acsctl mqtt:acl` then failed for every controller.
 */
describe('controller MQTT ids reserved for the server', () => {
  let t: TestApp;
  let siteId: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false' } });
    siteId = (await post<{ id: string }>(t, '/sites', { name: 'Ids site', timeZone: 'Europe/Amsterdam' })).id;
  });
  afterAll(() => t?.close());

  it.each(['acs-server', 'acs-server-ams1-a', 'acs-server-b', 'acs-serverx'])('refuses %s with 409 controller.mqtt_id_reserved', async (mqttId) => {
    const res = await t
      .http()
      .post('/controllers')
      .set(bearer(t.adminToken))
      .send({ siteId, name: `Reserved ${mqttId}`, mqttId });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'controller.mqtt_id_reserved', reservedPrefix: 'acs-server' });
    const list = await t.http().get('/controllers').set(bearer(t.adminToken)).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(`"${mqttId}"`);
  });

  it('refuses an id another controller already uses with 409 controller.mqtt_id_taken, and accepts ordinary ids', async () => {
    await post(t, '/controllers', { siteId, name: 'First', mqttId: 'door-ctl-ids-1' });
    const res = await t.http().post('/controllers').set(bearer(t.adminToken)).send({ siteId, name: 'Second', mqttId: 'door-ctl-ids-1' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'controller.mqtt_id_taken' });
    await post(t, '/controllers', { siteId, name: 'Third', mqttId: 'my-acs-server' });
  });
});

describe('acsctl mqtt:acl with a reserved id registered by an older version', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false' } });
  });
  afterAll(() => t?.close());

  it('leaves the reserved controller out and names it, instead of failing for every controller', async () => {
    const siteId = (await post<{ id: string }>(t, '/sites', { name: 'Acl site', timeZone: 'Europe/Amsterdam' })).id;
    const ok = await post<{ id: string }>(t, '/controllers', { siteId, name: 'Acl ok', mqttId: 'door-ctl-acl-1' });
    const repo = t.app.get(DataSource).getRepository(ControllerEntity);
    const row = (await repo.findOneByOrFail({ id: ok.id })) as ControllerEntity;
    await repo.insert({ ...row, id: randomUUID(), name: 'Old reserved', mqttId: 'acs-server-b' });

    const config = { ...t.config, MQTT_SERVER_PASSWORD: 'a-server-password-16' } as AppConfig;
    const files = await mosquittoFiles(config, t.app.get(DataSource), ['a', 'b']);
    expect(files.skipped).toEqual(['acs-server-b']);
    expect(files.controllers).toBe(1);
    expect(files.passwordFile).toMatch(/^door-ctl-acl-1:/m);
    expect(files.passwordFile.match(/^acs-server-b:/gm)).toHaveLength(1); // the instance account only
  });
});
