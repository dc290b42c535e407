import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { BadgeInService, ControllerSequenceEntity } from '@acs/badge-in';
import { FakeClock } from '@acs/clock';
import { DoorCommandService, type SecurityEvent } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { startVirtualController, type VirtualController } from '@acs/mqtt/testing';
import { openRawStore } from '../support/raw-store.js';
import { post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { databaseEnvFor, dropDatabaseFor } from '../support/test-database.js';
import { until } from './badge-in-support.js';

jest.setTimeout(90_000);

const YEAR_2100 = 4102444800000;

interface Secrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

/**
 * Issue 16 item 2, as reported: with one controller's signing secret (or a controller booted with
 * its clock in 2100), a single event with epoch 2100 made the server drop every later real event
 * of that controller as "older epoch", persistently, and a signed `offline` dated 2100 kept the
 * controller offline. Times beyond the server clock plus 30 s are now refused as security events
 * and never stored; a bad epoch stored by an older version is ignored at start-up and forgotten
 * with `acsctl controller:reset-sequence`.
 */
describe('controller times beyond the server clock', () => {
  const masterKey = randomBytes(32).toString('base64');
  let t: TestApp | undefined;
  let dir: string;
  let ctl: Secrets;
  const started: VirtualController[] = [];

  afterAll(async () => {
    for (const c of started) await c.stop().catch(() => {});
    await t?.close();
    if (dir) {
      await dropDatabaseFor(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const boot = async () => {
    const app = await startTestApp({ env: { READERS_ENABLED: 'false', MASTER_KEY: masterKey }, ...(dir ? { dir } : {}), keepDir: true });
    dir = app.dir;
    t = app;
    await app.app.get(BadgeInService).wiring();
    return app;
  };
  const closeApp = async () => {
    const app = t;
    t = undefined;
    await app?.close();
  };
  const controller = async (clock: FakeClock) => {
    const vc = await startVirtualController(
      t!.app.get(MqttEdge).broker!.url,
      { controllerId: ctl.mqttUsername, password: ctl.mqttPassword, secret: Buffer.from(ctl.signingSecret, 'base64') },
      { clock, doors: 1 },
    );
    started.push(vc);
    return vc;
  };
  const stored = async () => t!.app.get(DataSource).getRepository(ControllerSequenceEntity).findOneBy({ mqttId: ctl.mqttUsername });
  const doorStatus = () => t!.app.get(BadgeInService).doorViews()[0]?.controllerStatus;

  it('refuses a 2100 epoch and timestamp as security events; the real controller keeps working, also after a restart', async () => {
    let t = await boot();
    const site = await post<{ id: string }>(t, '/sites', { name: 'Future site', timeZone: 'Europe/Amsterdam' });
    const zone = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: 'Future hall', kind: 'suite' });
    ctl = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Future controller', mqttId: 'future-ctl' });
    const reader = await post<{ id: string }>(t, '/readers', {
      siteId: site.id,
      name: 'Future reader',
      model: 'R50x',
      transport: 'tcp://127.0.0.1:9',
      role: 'door',
    });
    await post(t, '/doors', { zoneId: zone.id, name: 'Future door', entryReaderId: reader.id, controllerId: ctl.id, relayChannel: 1 });
    await t.app.get(BadgeInService).wiring();
    const security: SecurityEvent[] = [];
    t.app.get(DoorCommandService).on('security', (e) => security.push(e));
    const events: Array<{ epoch: number; seq: number }> = [];
    t.app.get(DoorCommandService).on('door-event', (e) => events.push({ epoch: e.epoch, seq: e.seq }));

    // The controller of 2100: birth (online, 2100), one event, then its offline status (2100).
    const future = await controller(new FakeClock(YEAR_2100));
    future.power('battery');
    await until('the 2100 event refused', () => security.some((e) => e.kind === 'future-timestamp' && e.topic.endsWith('/event')));
    await future.stop();
    await until('the 2100 offline refused', () => security.filter((e) => e.kind === 'future-timestamp' && e.topic.endsWith('/status')).length >= 2);
    expect(events).toEqual([]);

    // The real controller, on the server's clock.
    const real = await controller(t.clock);
    await until('controller online', () => doorStatus() === 'online');
    real.power('battery');
    await until('the real event recorded', () => events.find((e) => e.epoch === real.epoch));
    await until('its sequence stored', async () => (await stored())?.epoch === real.epoch);
    expect(security.filter((e) => e.kind === 'future-timestamp').every((e) => e.controllerId === 'future-ctl')).toBe(true);
    await real.stop();
    await closeApp();

    // Restarted: the stored sequence is the real one, and a new boot of the controller is recorded.
    t = await boot();
    t.clock.advance(60_000);
    const after: number[] = [];
    t.app.get(DoorCommandService).on('door-event', (e) => after.push(e.epoch));
    const rebooted = await controller(t.clock);
    rebooted.power('mains');
    await until('event after restart', () => after.includes(rebooted.epoch));
    await until('controller online after restart', () => doorStatus() === 'online');
    await rebooted.stop();
    await closeApp();
  });

  it('a bad epoch stored by an older version: ignored at start-up, forgotten by acsctl controller:reset-sequence', async () => {
    const raw = await openRawStore(dir);
    const badRow = async () => raw.run('UPDATE controller_event_sequence SET epoch = ? WHERE mqtt_id = ?', [YEAR_2100, ctl.mqttUsername]);
    expect(await badRow()).toBe(1);

    const env = { PATH: process.env.PATH, DATA_DIR: dir, ...(await databaseEnvFor(dir)), MASTER_KEY: masterKey, LOG_LEVEL: 'error' };
    const cli = (mqttId: string) =>
      execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'controller:reset-sequence', '--mqtt-id', mqttId], { env }).toString();
    expect(cli(ctl.mqttUsername)).toContain(`Forgot the event sequence of ${ctl.mqttUsername} (epoch ${YEAR_2100}`);
    expect(await raw.all('SELECT mqtt_id FROM controller_event_sequence WHERE mqtt_id = ?', [ctl.mqttUsername])).toEqual([]);
    expect(cli(ctl.mqttUsername)).toContain('No stored event sequence');

    // Stored again (as the old server would have) and the server started without the command.
    await raw.run('INSERT INTO controller_event_sequence (mqtt_id, epoch, seq, updated_at) VALUES (?, ?, ?, ?)', [ctl.mqttUsername, YEAR_2100, 1, Date.now()]);
    await raw.close();
    const t = await boot();
    t.clock.advance(120_000);
    const after: number[] = [];
    t.app.get(DoorCommandService).on('door-event', (e) => after.push(e.epoch));
    const vc = await controller(t.clock);
    vc.power('battery');
    await until('event recorded despite the stored 2100 epoch', () => after.includes(vc.epoch));
    await until('the stored epoch replaced', async () => (await stored())?.epoch === vc.epoch);
  });
});
