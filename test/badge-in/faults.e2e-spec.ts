import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessEventEntity } from '@acs/access-log';
import { StaffService } from '@acs/auth';
import { BadgeInService, MonitorBus } from '@acs/badge-in';
import { FakeClock } from '@acs/clock';
import { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import { MqttEdge } from '@acs/mqtt';
import { freePort, startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { startAppAt } from '../enrolment/enrolment-support.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { databaseEnvFor, dropDatabaseFor } from '../support/test-database.js';
import { badgeAt, bearer, buildBadgeSite, connectController, enrol, eventsOf, post, setupBadgeApp, until, type BadgeSite } from './badge-in-support.js';
import { librarySettled } from '../support/library-settled.js';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(120_000);

describe('badge-in faults', () => {
  describe('reader unplugged during identification', () => {
    let t: TestApp;
    let site: BadgeSite;
    let ctlA: VirtualController;
    let alice: string;

    beforeAll(async () => {
      // A fixed port, so the broker restarted below listens where the clients reconnect.
      t = await startTestApp({
        env: {
          READER_SYNC_INTERVAL_S: '3600',
          ENROLMENT_TIMEOUT_S: '5',
          BADGE_POLL_INTERVAL_MS: '10',
          BADGE_UNLOCK_MS: '1000',
          MQTT_COMMAND_TIMEOUT_MS: '500',
          MQTT_EMBEDDED_PORT: String(await freePort()),
        },
      });
      await setupBadgeApp(t);
      site = await buildBadgeSite(t);
      ctlA = await connectController(t, site.controllerA);
      alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Unplug' })).id;
      await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: alice });
      await enrol(t, site, alice, 1, 'alice-right-index');
      await librarySettled(t.app.get(ReaderLibraryService));
      await until(
        'controller online',
        () =>
          t.app
            .get(BadgeInService)
            .doorViews()
            .find((d) => d.doorId === site.suiteDoorId)?.controllerStatus === 'online' || undefined,
      );
    });

    afterAll(async () => {
      await ctlA?.stop();
      await t?.close();
      await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
    });

    it('the loop survives the unplug, other readers keep working, and it resumes after the reconnect', async () => {
      const manager = t.app.get(ReaderManager);
      const states: string[] = [];
      const sub = t.app
        .get(MonitorBus)
        .stream({ siteId: site.siteId })
        .subscribe((e) => {
          if (e.type === 'reader' && e.readerId === site.suiteEntryId) states.push(e.state);
        });
      // The finger goes on and the device server drops at once: the poll in flight fails mid-way.
      site.readers.suiteEntry.device.place('alice-right-index');
      await site.readers.suiteEntry.unplug();
      await until('reader not ready', () => (!manager.isReady(site.suiteEntryId) ? true : undefined));
      site.readers.suiteEntry.device.lift();
      // Another reader of the same door is not held up.
      const exit = await badgeAt(t, site.readers.suiteExit, site.suiteExitId, 'alice-right-index');
      expect(exit.decision).toMatchObject({ granted: true, direction: 'exit' });
      await site.readers.suiteEntry.plug();
      await manager.whenReady(site.suiteEntryId, 10_000);
      const entry = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
      expect(entry.decision).toMatchObject({ granted: true, reason: 'granted', direction: 'entry' });
      const view = (await t.http().get('/monitor/readers').set(bearer(t.adminToken)).expect(200)).body as Array<{ readerId: string; readerState: string }>;
      expect(view.find((r) => r.readerId === site.suiteEntryId)?.readerState).toBe('ready');
      // The desk saw the reader go away and come back on the live stream.
      expect(states).toContain('connecting');
      expect(states[states.length - 1]).toBe('ready');
      sub.unsubscribe();
    });

    it('broker restart: an attempt during the outage is on record as door_unreachable (or controller_offline), grants resume after it', async () => {
      const edge = t.app.get(MqttEdge);
      const service = t.app.get(BadgeInService);
      const url = edge.broker!.url;
      await edge.broker!.stop();
      await until('server disconnected', () => (!edge.client.connected ? true : undefined));
      const during = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
      const reasons = (await eventsOf(t, during.attemptId)).map((e) => e.reason);
      expect([['granted', 'door_unreachable'], ['controller_offline']]).toContainEqual(reasons);
      await edge.broker!.start();
      expect(edge.broker!.url).toBe(url);
      t.clock.advance(1000);
      await until(
        'server and controller back',
        () =>
          edge.client.connected && ctlA.connected && service.doorViews().find((d) => d.doorId === site.suiteDoorId)?.controllerStatus === 'online'
            ? true
            : undefined,
        15_000,
      );
      const before = ctlA.relayActivations(1);
      const after = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
      expect(after.decision).toMatchObject({ granted: true, reason: 'granted' });
      expect(ctlA.relayActivations(1)).toBe(before + 1);
    });
  });

  describe('server killed (SIGKILL) during a burst of badge-ins', () => {
    let dir: string;
    let masterKey: string;
    let site: BadgeSite;
    let token: string;
    let alice: string;
    let child: ChildProcess | undefined;
    let controller: VirtualController | undefined;

    beforeAll(async () => {
      // The server runs as a child process from dist/, as `npm start` runs it (the e2e global setup builds it).
      const t = await startTestApp({ keepDir: true, env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '5', BADGE_POLL_INTERVAL_MS: '10' } });
      await setupBadgeApp(t);
      dir = t.dir;
      masterKey = t.config.MASTER_KEY!;
      site = await buildBadgeSite(t);
      alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Burst' })).id;
      await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: alice });
      await enrol(t, site, alice, 1, 'alice-right-index');
      await librarySettled(t.app.get(ReaderLibraryService));
      token = (await t.app.get(StaffService).create('burst-admin', 'admin')).token.token;
      await t.close();
    });

    afterAll(async () => {
      child?.kill('SIGKILL');
      await controller?.stop();
      await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
      if (dir) await dropDatabaseFor(dir);
    });

    it('after the restart no access event whose unlock reached the controller is missing, and the chain verifies', async () => {
      const httpPort = await freePort();
      const mqttPort = await freePort();
      child = spawn(process.execPath, [join(process.cwd(), 'dist/apps/server/src/main.js')], {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          DATA_DIR: dir,
          ...(await databaseEnvFor(dir)),
          MASTER_KEY: masterKey,
          HTTP_PORT: String(httpPort),
          MQTT_EMBEDDED_PORT: String(mqttPort),
          LOG_LEVEL: 'warn',
          BADGE_POLL_INTERVAL_MS: '10',
          BADGE_UNLOCK_MS: '1000',
          READER_SYNC_INTERVAL_S: '3600',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const api = (path: string) => fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      await until('child server up', async () => ((await api('/monitor/readers').catch(() => null))?.ok ? true : undefined), 30_000);
      controller = await startVirtualController(
        `mqtt://127.0.0.1:${mqttPort}`,
        {
          controllerId: site.controllerA.mqttUsername,
          password: site.controllerA.mqttPassword,
          secret: Buffer.from(site.controllerA.signingSecret, 'base64'),
        },
        { doors: 2 },
      );
      await until(
        'door readers and controller ready',
        async () => {
          const doors = (await (await api('/monitor/doors')).json()) as Array<{ doorId: string; controllerStatus: string }>;
          const readers = (await (await api('/monitor/readers')).json()) as Array<{ readerId: string; readerState: string }>;
          return doors.find((d) => d.doorId === site.suiteDoorId)?.controllerStatus === 'online' &&
            [site.suiteEntryId, site.suiteExitId].every((id) => readers.find((r) => r.readerId === id)?.readerState === 'ready')
            ? true
            : undefined;
        },
        30_000,
      );

      // Fingers on the entry and exit readers, on and off as fast as the loop takes them.
      let stop = false;
      const burst = async (device: typeof site.readers.suiteEntry) => {
        while (!stop) {
          const before = controller!.relayActivations(1);
          device.device.place('alice-right-index');
          const deadline = Date.now() + 1500;
          while (!stop && controller!.relayActivations(1) === before && Date.now() < deadline) await sleep(2);
          device.device.lift();
          await sleep(25);
        }
      };
      const runners = [burst(site.readers.suiteEntry), burst(site.readers.suiteExit)];
      await until('a burst under way', () => (controller!.relayActivations(1) >= 12 ? true : undefined), 30_000);
      child.kill('SIGKILL');
      const acknowledged = controller!.relayActivations(1);
      await new Promise<void>((r) => (child!.exitCode !== null || child!.signalCode !== null ? r() : child!.once('exit', () => r())));
      stop = true;
      await Promise.all(runners);
      await controller!.stop();
      controller = undefined;
      child = undefined;

      const app = await startAppAt(dir, masterKey, new FakeClock(Date.now()));
      try {
        const granted = await app.app
          .get(DataSource)
          .getRepository(AccessEventEntity)
          .count({ where: { kind: 'attempt', result: 'granted', doorId: site.suiteDoorId } });
        // Every unlock the controller received followed a durable event; a few more events may be on record whose unlock never left.
        expect(granted).toBeGreaterThanOrEqual(acknowledged);
        const verify = await app.http().get(`/customers/${site.customerId}/access-events/verify`).set(bearer(app.adminToken)).expect(200);
        expect(verify.body).toMatchObject({ ok: true });
        // Anti-passback presence comes back from the history: Alice is on one side of the suite.
        expect(['inside', 'outside']).toContain(app.app.get(BadgeInService).zoneState.presenceOf(alice, site.suiteZoneId, Date.now()));
      } finally {
        await app.close();
      }
    });
  });
});
