import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { EnrolmentView } from '@acs/enrolment';
import { stateTopic, statusTopic } from '@acs/door-protocol';
import { connectRawClient, freePort, startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { actAtDesk, flashTemplates, startVirtualReader, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import { until as pollUntil } from '../support/poll-until.js';

jest.setTimeout(300_000);

/**
 * Issue 18: three server instances as built into dist/, on one PostgreSQL database and the
 * machine's Mosquitto. The door readers (behind serial device servers, tcp://) and controllers
 * of suites 1 and 3 have preferred hosts A and C and failover group g1, which all three serve.
 * C is killed with SIGKILL during a burst of badge-ins at its door, A is frozen with SIGSTOP past
 * its lease and resumed: each time another instance takes the door over within the bound,
 * nothing recorded is lost or doubled, and no door opens without its attempt on record.
 */
const PG_ADMIN = process.env.ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const LEASE_MS = 3000;
/** Lease plus a third of it for the next round, plus the reader's reconnect and handshake, plus a poll: well inside the 10 s the issue allows. */
const TAKEOVER_BOUND_MS = 10_000;

interface Instance {
  id: string;
  env: NodeJS.ProcessEnv;
  base: string;
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
}

const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000) => pollUntil(what, probe, timeoutMs, 50);

describe('failover of network readers and controllers between three instances (PostgreSQL, Mosquitto)', () => {
  const run = randomBytes(3).toString('hex');
  const dbName = `acs_failover_${run}`;
  const dirs: string[] = [];
  let admin: DataSource;
  let token = '';
  const inst: Record<'a' | 'b' | 'c', Instance> = {} as never;
  let desk: VirtualDevice;
  let door1: VirtualDevice;
  let door3: VirtualDevice;
  let ctl1: VirtualController;
  let ctl3: VirtualController;
  const ids: Record<string, string> = {};
  const unlocks = { door1: 0, door3: 0 };

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
  const kill = async (i: Instance, signal: NodeJS.Signals = 'SIGKILL') => {
    const p = i.proc;
    if (!p) return;
    // One that already died fires no second 'exit'.
    if (p.exitCode !== null || p.signalCode !== null) return void (i.proc = undefined);
    if (signal === 'SIGKILL') p.kill('SIGCONT');
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
    i.proc = undefined;
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
  /** Every grant either opened the door or has its door_unreachable follow-up (the unlock was refused or lost). */
  const unanswered = (all: Attempt[], doorId: string, opened: number) => {
    const grants = all.filter((e) => e.kind === 'attempt' && e.doorId === doorId && e.result === 'granted').length;
    const unreachable = all.filter((e) => e.kind === 'follow_up' && e.doorId === doorId && e.reason === 'door_unreachable').length;
    return { grants, opened, gap: grants - opened - unreachable };
  };
  const grantsAt = async (via: Instance, doorId: string) =>
    (await attempts(via)).filter((e) => e.kind === 'attempt' && e.doorId === doorId && e.result === 'granted');
  const holderOf = async (via: Instance, preferred: Instance) => {
    const res = await http(via).get('/cluster/device-leases').set(bearer(token));
    expect(res.status).toBe(200);
    return (res.body as Array<{ preferredHost: string; holder: string; live: boolean; token: number }>).find((l) => l.preferredHost === preferred.id);
  };

  /** A person at the door: the finger lies on the sensor, is lifted, and comes back, until stopped. */
  const bursts = new Set<() => Promise<void>>();
  const burst = (d: VirtualDevice) => {
    let on = true;
    const done = (async () => {
      while (on) {
        d.device.place('fiona-right-index');
        await sleep(400);
        d.device.lift();
        await sleep(300);
      }
    })();
    const stop = async () => {
      on = false;
      bursts.delete(stop);
      await done;
    };
    bursts.add(stop);
    return stop;
  };

  beforeAll(async () => {
    admin = new DataSource({ type: 'postgres', url: PG_ADMIN });
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATABASE_URL: PG_ADMIN.replace(/\/[^/]*$/, `/${dbName}`),
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
    for (const k of ['a', 'b', 'c'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `acs-failover-${k}-`));
      dirs.push(dir);
      const port = await freePort();
      const id = `${k}-${run}`;
      inst[k] = { id, env: { ...shared, INSTANCE_ID: id, DATA_DIR: dir, HTTP_PORT: String(port) }, base: `http://127.0.0.1:${port}`, log: [] };
    }
    await start(inst.a);
    await Promise.all([start(inst.b), start(inst.c)]);
    token = (
      JSON.parse(
        execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'staff:create', '--role', 'admin', '--username', `failover-${run}`, '--json'], {
          env: inst.a.env,
        }).toString(),
      ) as { token: string }
    ).token;
    const t = { http: () => http(inst.a), adminToken: token } as unknown as TestApp;

    [desk, door1, door3] = await Promise.all([
      startVirtualReader(dirs[0]),
      startVirtualReader(dirs[0], { newClientWins: true }),
      startVirtualReader(dirs[0], { newClientWins: true }),
    ]);
    const site = await post<{ id: string }>(t, '/sites', { name: `Failover ${run}`, timeZone: 'Europe/Amsterdam' });
    const zone1 = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: 'Suite 1', kind: 'suite' });
    const zone3 = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: 'Suite 3', kind: 'suite' });
    const reader = (name: string, d: VirtualDevice, role: string, host: string, failoverGroup: string | null) =>
      post<{ id: string }>(t, '/readers', { siteId: site.id, name, model: 'R50x', transport: d.url, role, host, failoverGroup });
    ids.desk = (await reader('Desk', desk, 'enrolment', inst.a.id, null)).id;
    ids.reader1 = (await reader('Suite 1 entry', door1, 'door', inst.a.id, 'g1')).id;
    ids.reader3 = (await reader('Suite 3 entry', door3, 'door', inst.c.id, 'g1')).id;
    const controller = async (mqttId: string, host: string) => {
      const c = await post<{ id: string; mqttUsername: string; mqttPassword: string; signingSecret: string }>(t, '/controllers', {
        siteId: site.id,
        name: mqttId,
        mqttId,
        host,
        failoverGroup: 'g1',
      });
      return { id: c.id, identity: { controllerId: c.mqttUsername, password: c.mqttPassword, secret: Buffer.from(c.signingSecret, 'base64') } };
    };
    const c1 = await controller(`fo-${run}-1`, inst.a.id);
    const c3 = await controller(`fo-${run}-3`, inst.c.id);
    ids.door1 = (
      await post<{ id: string }>(t, '/doors', { zoneId: zone1.id, name: 'Suite 1 door', entryReaderId: ids.reader1, controllerId: c1.id, relayChannel: 1 })
    ).id;
    ids.door3 = (
      await post<{ id: string }>(t, '/doors', { zoneId: zone3.id, name: 'Suite 3 door', entryReaderId: ids.reader3, controllerId: c3.id, relayChannel: 1 })
    ).id;
    const level = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: 'Suites 1 and 3', zoneIds: [zone1.id, zone3.id] });
    ctl1 = await startVirtualController(BROKER, c1.identity, { doors: 1 });
    ctl3 = await startVirtualController(BROKER, c3.identity, { doors: 1 });
    // Unlocks the controllers executed (a relay already released is only extended, so count commands).
    for (const [c, key] of [
      [ctl1, 'door1'],
      [ctl3, 'door3'],
    ] as const)
      c.on('command', (cmd) => {
        if (cmd.cmd === 'unlock') unlocks[key]++;
      });

    const customer = await post<{ id: string }>(t, '/customers', {
      companyName: `Failover ${run} B.V.`,
      contractRef: `FO-${run}`,
      serviceStart: '2026-01-01T00:00:00Z',
    });
    ids.customer = customer.id;
    const person = await post<{ id: string }>(t, `/customers/${customer.id}/people`, { fullName: 'Fiona Failover' });
    await post(t, '/grants', { accessLevelId: level.id, customerId: customer.id, personId: person.id });
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: person.id, finger: 1, readerId: ids.desk });
    const enrolled = (await actAtDesk(t, desk.device, started.id, 'fiona-right-index')).final.status;
    if (enrolled !== 'enrolled') throw new Error(`enrolment ended ${enrolled}`);
    await until('the template on both door readers', async () => flashTemplates(door1).size === 1 && flashTemplates(door3).size === 1, 60_000);
  });

  afterAll(async () => {
    // ACS_TEST_DUMP_LOGS=1: what the instances said, to see why a takeover took long, in
    // test-output/cluster-failover/<instance>.log (request lines included).
    if (process.env.ACS_TEST_DUMP_LOGS) {
      const out = join('test-output', 'cluster-failover');
      mkdirSync(out, { recursive: true });
      for (const i of Object.values(inst)) writeFileSync(join(out, `${i.id}.log`), i.log.join(''));
      console.error(`instance logs in ${out}`);
    }
    // A test that failed half-way left its person at the door.
    await Promise.all([...bursts].map((stop) => stop()));
    for (const i of Object.values(inst)) if (i?.proc) await kill(i);
    await Promise.all([ctl1?.stop(), ctl3?.stop()].filter(Boolean));
    const cleaner = await connectRawClient(BROKER, { clientId: `acs-clean-fo-${run}` }).catch(() => undefined);
    for (const c of [`fo-${run}-1`, `fo-${run}-3`]) {
      await cleaner?.publishAsync(statusTopic(c), '', { qos: 1, retain: true });
      await cleaner?.publishAsync(stateTopic(c), '', { qos: 1, retain: true });
    }
    await cleaner?.endAsync();
    await Promise.all([desk, door1, door3].filter(Boolean).map((d) => d.close()));
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('each door is served by its preferred instance while all are up', async () => {
    expect(await holderOf(inst.b, inst.a)).toMatchObject({ holder: inst.a.id, live: true });
    expect(await holderOf(inst.b, inst.c)).toMatchObject({ holder: inst.c.id, live: true });
  });

  it('SIGKILL of the owner during a burst: another instance admits at its door within the bound; nothing lost or doubled', async () => {
    const stop = burst(door3);
    await until('two grants at suite 3 through C', async () => (await grantsAt(inst.a, ids.door3)).length >= 2);
    await stop();
    // Let the last unlock end (BADGE_UNLOCK_MS 1 s), so the opening below is a forced one.
    await sleep(1500);
    const before = await grantsAt(inst.a, ids.door3);
    const oldLease = (await holderOf(inst.a, inst.c))!;
    await kill(inst.c);
    const killedAt = Date.now();
    // Forced open while nobody serves the controller: it keeps the event until an owner acknowledges it.
    ctl3.openDoor(1);
    await sleep(200);
    ctl3.closeDoor(1);
    const stop2 = burst(door3);
    const firstAfter = await until(
      'a grant at suite 3 after the kill',
      async () => {
        const g = await grantsAt(inst.a, ids.door3);
        return g.length > before.length ? Date.now() : undefined;
      },
      TAKEOVER_BOUND_MS + 20_000,
    );
    await sleep(2000);
    await stop2();
    await sleep(1500);
    const takeoverMs = firstAfter - killedAt;
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);

    const lease = (await holderOf(inst.a, inst.c))!;
    expect([inst.a.id, inst.b.id]).toContain(lease.holder);
    expect(lease.token).toBeGreaterThan(oldLease.token);
    const all = await attempts(inst.a);
    // Nothing doubled: every stored event once, every attempt once.
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const grants = all.filter((e) => e.kind === 'attempt' && e.doorId === ids.door3 && e.result === 'granted');
    expect(new Set(grants.map((e) => e.attemptId)).size).toBe(grants.length);
    // Every unlock has its grant on record; every grant opened the door or says why not (an attempt
    // recorded just before the kill may have had no unlock sent: one person asked to badge again,
    // never a door opened unrecorded).
    const balance = unanswered(all, ids.door3, unlocks.door3);
    expect(balance.opened).toBeLessThanOrEqual(balance.grants);
    expect(balance.gap).toBeGreaterThanOrEqual(0);
    expect(balance.gap).toBeLessThanOrEqual(1);
    // The forced opening while C was dead: recorded once, by the instance that took the controller over.
    const alarms = await until('the forced-open alarm at suite 3', async () => {
      const res = await http(inst.a).get('/alarms').query({ doorId: ids.door3 }).set(bearer(token));
      const list = res.body as Array<{ kind: string }>;
      return list.some((x) => x.kind === 'forced_open') ? list : undefined;
    });
    expect(alarms.filter((x) => x.kind === 'forced_open')).toHaveLength(1);
    const verdict = await http(inst.b).get(`/customers/${ids.customer}/access-events/verify`).set(bearer(token));
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ok: true });
  });

  it('SIGSTOP of an owner past its lease, then SIGCONT: it stops serving the door and opens nothing under its old token', async () => {
    const a = inst.a;
    const others = [inst.b, inst.c].filter((i) => i.proc);
    const old = (await holderOf(others[0], a))!;
    expect(old.holder).toBe(a.id);
    const stop = burst(door1);
    await until('a grant at suite 1 through A', async () => (await grantsAt(others[0], ids.door1)).length >= 1);
    a.proc!.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const before = (await grantsAt(others[0], ids.door1)).length;
    await until('a grant at suite 1 through another instance', async () => (await grantsAt(others[0], ids.door1)).length > before, TAKEOVER_BOUND_MS + 20_000);
    expect(Date.now() - stoppedAt).toBeLessThan(TAKEOVER_BOUND_MS + 2000);
    const taken = (await holderOf(others[0], a))!;
    expect(taken.holder).not.toBe(a.id);
    expect(taken.token).toBeGreaterThan(old.token);
    // A wakes up in the middle of the burst, still holding a connection to the reader.
    const unlocksBefore = unlocks.door1;
    a.proc!.kill('SIGCONT');
    await sleep(4000);
    await stop();
    await sleep(1500);
    // A noticed at once that its lease was over and let go of the devices.
    expect(a.log.join('')).toContain(`no longer serving devices:g1:${a.id} (token ${old.token})`);
    expect((await holderOf(a, a))!.holder).toBe(taken.holder);
    // The door kept working through the new holder, and every opening has its grant on record.
    expect(unlocks.door1).toBeGreaterThan(unlocksBefore);
    const all = await attempts(others[0]);
    const balance = unanswered(all, ids.door1, unlocks.door1);
    expect(balance.opened).toBeLessThanOrEqual(balance.grants);
    expect(balance.gap).toBeGreaterThanOrEqual(0);
    expect(balance.gap).toBeLessThanOrEqual(1);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const verdict = await http(others[0]).get(`/customers/${ids.customer}/access-events/verify`).set(bearer(token));
    expect(verdict.body).toMatchObject({ ok: true });
  });
});
