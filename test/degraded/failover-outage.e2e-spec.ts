import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { EnrolmentView } from '@acs/enrolment';
import { stateTopic, statusTopic } from '@acs/door-protocol';
import { connectRawClient, freePort, startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { actAtDesk, flashTemplates, startVirtualReader, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { CuttableProxy } from '../support/cuttable-proxy.js';
import { bearer, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import { until } from '../support/poll-until.js';

jest.setTimeout(300_000);

/**
 * Issue 18, degraded mode with failover devices (docs/failover.md, "Failover devices during a
 * database outage"): two server instances as built into dist/, each reaching PostgreSQL through
 * its own TCP proxy the test cuts, on the machine's Mosquitto. The door of suite 1 (a reader
 * behind a device server that lets the newest client win, and a controller) has preferred host A
 * and failover group g1, which B serves too.
 * - Both cut off for five lease times: A keeps the door admitting from memory, every attempt is
 *   replayed once afterwards, and A still holds the lease under the same token.
 * - Only A cut off (partial partition): B takes the door over within the bound, A's reader
 *   connection goes to B and A does not take it back, every unlock from then on carries B's fence,
 *   and when A is back it lets go at once; every attempt of both lands once.
 */
const PG_ADMIN = process.env.ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const LEASE_MS = 3000;
const CUT_MS = 15_000;
const TAKEOVER_BOUND_MS = 10_000;

interface Instance {
  id: string;
  env: NodeJS.ProcessEnv;
  base: string;
  proxy: CuttableProxy;
  proc?: ChildProcess;
  log: string[];
}

interface Attempt {
  id: string;
  attemptId: string;
  doorId: string;
  result: string;
  reason: string;
  kind: string;
  occurredAt: string;
  seq: number;
  degraded: boolean;
}

interface Lease {
  preferredHost: string;
  holder: string;
  live: boolean;
  token: number;
}

describe('failover devices through a database outage (two instances, PostgreSQL behind proxies, Mosquitto)', () => {
  const run = randomBytes(3).toString('hex');
  const dbName = `acs_degfail_${run}`;
  const dirs: string[] = [];
  let admin: DataSource;
  let token = '';
  const inst: Record<'a' | 'b', Instance> = {} as never;
  let desk: VirtualDevice;
  let door: VirtualDevice;
  let ctl: VirtualController;
  const ids: Record<string, string> = {};
  const mqttId = `df-${run}`;
  /** Commands the controller accepted (with their fence) and refused, with the time. */
  const accepted: Array<{ at: number; cmd: string; fence?: number }> = [];
  const refused: Array<{ at: number; reason: string }> = [];
  /** Connections the door reader's device server accepted. */
  const readerConnections: number[] = [];

  const http = (i: Instance) => request(i.base);
  const start = async (i: Instance) => {
    const proc = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env: i.env, stdio: ['ignore', 'pipe', 'pipe'] });
    i.proc = proc;
    for (const s of [proc.stdout, proc.stderr]) s.on('data', (b: Buffer) => i.log.push(b.toString('utf8')));
    let exited: number | null | undefined;
    proc.once('exit', (code) => (exited = code));
    await until(
      `instance ${i.id} to start`,
      async () => {
        if (exited !== undefined) throw new Error(`instance ${i.id} exited with ${exited}: ${i.log.join('').slice(-2000)}`);
        return http(i)
          .get('/health')
          .then(
            (r) => r.status === 200,
            () => false,
          );
      },
      60_000,
    );
  };
  const attempts = async (via: Instance): Promise<Attempt[]> => {
    const out: Attempt[] = [];
    let cursor: string | undefined;
    do {
      const res = await http(via)
        .get(`/customers/${ids.customer}/access-events`)
        .query({ limit: 500, ...(cursor ? { cursor } : {}) })
        .set(bearer(token));
      expect(res.status).toBe(200);
      out.push(...(res.body as { items: Attempt[] }).items);
      cursor = (res.body as { nextCursor?: string }).nextCursor;
    } while (cursor);
    return out;
  };
  const grants = async (via: Instance) => (await attempts(via)).filter((e) => e.kind === 'attempt' && e.doorId === ids.door && e.result === 'granted');
  const lease = async (via: Instance): Promise<Lease> => {
    const res = await http(via).get('/cluster/device-leases').set(bearer(token));
    expect(res.status).toBe(200);
    return (res.body as Lease[]).find((l) => l.preferredHost === inst.a.id)!;
  };
  const degraded = async (i: Instance) => ((await http(i).get('/health/degraded')).body as { degraded: boolean }).degraded;
  const unlocksBetween = (from: number, to: number) => accepted.filter((c) => c.cmd === 'unlock' && c.at >= from && c.at <= to);

  /** A person at the door: the finger lies on the sensor, is lifted, and comes back, until stopped. */
  const burst = () => {
    let on = true;
    const done = (async () => {
      while (on) {
        door.device.place('dana-right-index');
        await sleep(400);
        door.device.lift();
        await sleep(300);
      }
    })();
    return async () => {
      on = false;
      await done;
    };
  };

  const replays = (i: Instance) => i.log.join('').match(/replayed \d+ spooled access events/g)?.length ?? 0;
  /** After a cut: A's spool replayed, every attempt once, chains verified, every opening with its grant. */
  const settled = async (replaysBefore: number) => {
    await until('A’s spool replayed', async () => replays(inst.a) > replaysBefore, 60_000);
    await sleep(1500);
    const all = await attempts(inst.b);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const granted = all.filter((e) => e.kind === 'attempt' && e.doorId === ids.door && e.result === 'granted');
    expect(new Set(granted.map((e) => e.attemptId)).size).toBe(granted.length);
    // No door opened without its grant on record.
    expect(accepted.filter((c) => c.cmd === 'unlock').length).toBeLessThanOrEqual(granted.length);
    const verdict = await http(inst.b).get(`/customers/${ids.customer}/access-events/verify`).set(bearer(token));
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ok: true, checked: all.length });
    for (const i of Object.values(inst)) expect(i.log.join('')).not.toContain('unhandled promise rejection');
    return all;
  };

  beforeAll(async () => {
    admin = new DataSource({ type: 'postgres', url: PG_ADMIN });
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const pg = new URL(PG_ADMIN);
    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      MQTT_BROKER_URL: BROKER,
      MQTT_SERVER_PASSWORD: randomBytes(12).toString('hex'),
      MASTER_KEY: randomBytes(32).toString('base64'),
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      CLUSTER_LEASE_S: '3',
      FAILOVER_GROUPS: 'g1',
      DEVICE_LEASE_MS: String(LEASE_MS),
      BADGE_UNLOCK_MS: '1000',
      // ACS_TEST_LOG_LEVEL=info with ACS_TEST_DUMP_LOGS=1: lease and reader state changes too.
      LOG_LEVEL: process.env.ACS_TEST_LOG_LEVEL ?? 'warn',
    };
    for (const k of ['a', 'b'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `acs-degfail-${k}-`));
      dirs.push(dir);
      const proxy = new CuttableProxy(await freePort(), { host: pg.hostname, port: Number(pg.port || 5432) });
      await proxy.open();
      const viaProxy = new URL(PG_ADMIN);
      viaProxy.port = String(proxy.port);
      viaProxy.pathname = `/${dbName}`;
      const port = await freePort();
      const id = `${k}-${run}`;
      inst[k] = {
        id,
        proxy,
        env: { ...shared, DATABASE_URL: viaProxy.toString(), INSTANCE_ID: id, DATA_DIR: dir, HTTP_PORT: String(port) },
        base: `http://127.0.0.1:${port}`,
        log: [],
      };
    }
    await start(inst.a);
    await start(inst.b);
    // Not execFileSync: the proxies live in this process's event loop, which must keep running.
    const cli = await promisify(execFile)(
      process.execPath,
      ['dist/apps/cli/src/main.js', 'staff:create', '--role', 'admin', '--username', `degfail-${run}`, '--json'],
      { env: inst.a.env },
    );
    token = (JSON.parse(cli.stdout) as { token: string }).token;
    const t = { http: () => http(inst.a), adminToken: token } as unknown as TestApp;

    [desk, door] = await Promise.all([startVirtualReader(dirs[0]), startVirtualReader(dirs[0], { newClientWins: true })]);
    // The device server's listener is private to the virtual reader; its connections are what this test watches.
    (door.server as unknown as { server: Server }).server.on('connection', () => readerConnections.push(Date.now()));
    const site = await post<{ id: string }>(t, '/sites', { name: `Degraded failover ${run}`, timeZone: 'Europe/Amsterdam' });
    const zone = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: 'Suite 1', kind: 'suite' });
    const reader = (name: string, d: VirtualDevice, role: string, failoverGroup: string | null) =>
      post<{ id: string }>(t, '/readers', { siteId: site.id, name, model: 'R50x', transport: d.url, role, host: inst.a.id, failoverGroup });
    ids.desk = (await reader('Desk', desk, 'enrolment', null)).id;
    ids.reader = (await reader('Suite 1 entry', door, 'door', 'g1')).id;
    const c = await post<{ id: string; mqttUsername: string; mqttPassword: string; signingSecret: string }>(t, '/controllers', {
      siteId: site.id,
      name: mqttId,
      mqttId,
      host: inst.a.id,
      failoverGroup: 'g1',
    });
    ids.door = (
      await post<{ id: string }>(t, '/doors', { zoneId: zone.id, name: 'Suite 1 door', entryReaderId: ids.reader, controllerId: c.id, relayChannel: 1 })
    ).id;
    const level = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: 'Suite 1', zoneIds: [zone.id] });
    ctl = await startVirtualController(
      BROKER,
      { controllerId: c.mqttUsername, password: c.mqttPassword, secret: Buffer.from(c.signingSecret, 'base64') },
      { doors: 1 },
    );
    ctl.on('command', (cmd) => accepted.push({ at: Date.now(), cmd: cmd.cmd, ...(cmd.fence !== undefined ? { fence: cmd.fence } : {}) }));
    ctl.on('rejected', (r: { reason: string }) => refused.push({ at: Date.now(), reason: r.reason }));
    const customer = await post<{ id: string }>(t, '/customers', {
      companyName: `Degraded failover ${run} B.V.`,
      contractRef: `DF-${run}`,
      serviceStart: '2026-01-01T00:00:00Z',
    });
    ids.customer = customer.id;
    const person = await post<{ id: string }>(t, `/customers/${customer.id}/people`, { fullName: 'Dana Degraded' });
    await post(t, '/grants', { accessLevelId: level.id, customerId: customer.id, personId: person.id });
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: person.id, finger: 1, readerId: ids.desk });
    const enrolled = (await actAtDesk(t, desk.device, started.id, 'dana-right-index')).final.status;
    if (enrolled !== 'enrolled') throw new Error(`enrolment ended ${enrolled}`);
    await until('the template on the door reader', async () => flashTemplates(door).size === 1, 60_000);
  });

  afterAll(async () => {
    // ACS_TEST_DUMP_LOGS=1: what the instances said.
    if (process.env.ACS_TEST_DUMP_LOGS) for (const i of Object.values(inst)) console.error(`--- ${i.id}\n${i.log.join('').slice(-8000)}`);
    for (const i of Object.values(inst)) {
      const p = i?.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    await ctl?.stop();
    const cleaner = await connectRawClient(BROKER, { clientId: `acs-clean-df-${run}` }).catch(() => undefined);
    await cleaner?.publishAsync(statusTopic(mqttId), '', { qos: 1, retain: true });
    await cleaner?.publishAsync(stateTopic(mqttId), '', { qos: 1, retain: true });
    await cleaner?.endAsync();
    await Promise.all([desk, door].filter(Boolean).map((d) => d.close()));
    for (const i of Object.values(inst)) await i?.proxy.cut().catch(() => undefined);
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the database cut off from both for five lease times: A keeps admitting at its failover door; afterwards A still holds the lease, every attempt once', async () => {
    const before = await lease(inst.b);
    expect(before).toMatchObject({ holder: inst.a.id, live: true });
    const stopBurst = burst();
    await until('a grant at the door before the cut', async () => (await grants(inst.b)).length >= 2);
    const replaysBefore = replays(inst.a);
    await Promise.all([inst.a.proxy.cut(), inst.b.proxy.cut()]);
    const cutAt = Date.now();
    await until('both instances degraded', async () => (await degraded(inst.a)) && (await degraded(inst.b)), 10_000);
    await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)));
    await Promise.all([inst.a.proxy.open(), inst.b.proxy.open()]);
    const restoredAt = Date.now();
    await until('the database back for both', async () => !(await degraded(inst.a)) && !(await degraded(inst.b)), 20_000);
    await sleep(2000);
    await stopBurst();
    await sleep(2500);

    // The door kept admitting well after A's lease would have lapsed (about one lease time into the cut).
    const late = unlocksBetween(cutAt + 2 * LEASE_MS, restoredAt);
    expect(late.length).toBeGreaterThanOrEqual(5);
    // Under A's token throughout: nobody else served the controller.
    expect(new Set(unlocksBetween(cutAt, restoredAt).map((c) => c.fence))).toEqual(new Set([before.token]));
    const all = await settled(replaysBefore);
    expect(all.filter((e) => e.kind === 'attempt' && e.degraded).length).toBeGreaterThanOrEqual(late.length);
    // A renewed the lease it kept (same token), B took nothing: no double ownership, no handover.
    const after = await lease(inst.b);
    expect(after).toMatchObject({ holder: inst.a.id, live: true, token: before.token });
    expect(inst.a.log.join('')).not.toContain(`no longer serving devices:g1:${inst.a.id}`);
  });

  it('partial partition (only A cut off): B takes the door over; A lets the reader go, does not take it back, opens nothing under its old token, and stops when back', async () => {
    const old = await lease(inst.b);
    expect(old).toMatchObject({ holder: inst.a.id, live: true });
    const stopBurst = burst();
    await until('a grant at the door before the cut', async () => (await grants(inst.b)).length > 0);
    const centralBefore = (await grants(inst.b)).length;
    const replaysBefore = replays(inst.a);
    await inst.a.proxy.cut();
    const cutAt = Date.now();
    const taken = await until(
      'B to take the unit over',
      async () => {
        const l = await lease(inst.b);
        return l.holder === inst.b.id ? l : undefined;
      },
      TAKEOVER_BOUND_MS,
    );
    expect(taken.token).toBeGreaterThan(old.token);
    // B admits at the door (A's attempts wait in A's spool, so these are B's).
    const firstByB = await until(
      'a grant through B',
      async () => ((await grants(inst.b)).length > centralBefore ? Date.now() : undefined),
      TAKEOVER_BOUND_MS + 10_000,
    );
    await sleep(Math.max(5000, CUT_MS - (Date.now() - cutAt)));
    const restoreAt = Date.now();
    const connectionsWhileB = readerConnections.filter((t) => t > firstByB && t < restoreAt);
    await inst.a.proxy.open();
    await until('A back', async () => !(await degraded(inst.a)), 20_000);
    await sleep(2000);
    await stopBurst();
    await sleep(2500);

    // A lost the reader to B's connection and did not take it back while cut off: the device
    // server saw no new connection while B served it, and B kept admitting to the end.
    expect(inst.a.log.join('')).toMatch(/lost during the database outage/);
    expect(connectionsWhileB).toEqual([]);
    expect(unlocksBetween(restoreAt - 3000, restoreAt).length).toBeGreaterThan(0);
    // Once the controller saw B's token, every unlock it carried out came under B's token.
    const raised = accepted.findIndex((c) => c.fence === taken.token);
    expect(raised).toBeGreaterThanOrEqual(0);
    const afterRaise = accepted.slice(raised).filter((c) => c.cmd === 'unlock');
    expect(afterRaise.length).toBeGreaterThan(0);
    expect(afterRaise.every((c) => c.fence === taken.token)).toBe(true);
    // Whatever the controller refused from then on (A's acknowledgements, an unlock A decided before the reader went to B) was refused as fenced.
    expect(refused.filter((r) => r.at > accepted[raised].at && r.reason !== 'fenced')).toEqual([]);
    // Back, A learnt the lease had moved and let go; B still holds it.
    expect(inst.a.log.join('')).toContain(`no longer serving devices:g1:${inst.a.id} (token ${old.token})`);
    expect(await lease(inst.a)).toMatchObject({ holder: inst.b.id, token: taken.token, live: true });
    const all = await settled(replaysBefore);
    // A's attempts from before B took over waited in A's spool and are on record now, once (checked above).
    expect(all.some((e) => e.kind === 'attempt' && e.degraded && Date.parse(e.occurredAt) >= cutAt)).toBe(true);
  });
});
