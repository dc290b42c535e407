import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { EnrolmentView } from '@acs/enrolment';
import { loadConfig } from '@acs/config';
import { readEventStream } from '@acs/event-stream';
import { serverUsername } from '@acs/mqtt';
import { connectRawClient, freePort, startMosquitto, startVirtualController, type MosquittoInstance } from '@acs/mqtt/testing';
import { stateTopic, statusTopic } from '@acs/door-protocol';
import { mosquittoAuthInput } from '../../apps/cli/src/mqtt-acl.js';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { actAtDesk, flashTemplates, startVirtualReader, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { until as pollUntil } from '../support/poll-until.js';

jest.setTimeout(240_000);

/**
 * Two server instances, as built into dist/, share one PostgreSQL database and one Mosquitto:
 * instance A is wired to the desk reader and suite 1's door, B to suite 2's door. Nothing
 * passes between them but the database and the broker. Twice: on the machine's Mosquitto
 * (127.0.0.1:1883, anonymous), and on a locked-down one configured the way production is, by
 * `acsctl mqtt:acl --instances` (an account per instance, client id bound to the username,
 * per-controller ACLs, reloaded with SIGHUP once the controllers are registered).
 */
const PG_ADMIN = process.env.ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MACHINE_BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';

interface Broker {
  url: string;
  /** Called once the controllers are in the registry. */
  controllersRegistered(dbUrl: string, instances: string[]): Promise<void>;
  stop(): Promise<void>;
}

const machineBroker = async (): Promise<Broker> => ({ url: MACHINE_BROKER, controllersRegistered: async () => undefined, stop: async () => undefined });

const SERVER_PASSWORD = randomBytes(12).toString('hex');

async function lockedDownBroker(instances: string[]): Promise<Broker> {
  const accounts = instances.map((id) => ({ username: serverUsername('acs-server', id), password: SERVER_PASSWORD }));
  let mosquitto: MosquittoInstance | undefined = await startMosquitto({ server: accounts[0], extraServers: accounts.slice(1), controllers: [] });
  return {
    url: mosquitto.url,
    controllersRegistered: async (dbUrl, ids) => {
      const ds = new DataSource({ type: 'postgres', url: dbUrl, entities: (await import('@acs/schema')).ENTITIES });
      await ds.initialize();
      try {
        await mosquitto!.reload(await mosquittoAuthInput(loadConfig({ MQTT_SERVER_PASSWORD: SERVER_PASSWORD }), ds, ids));
      } finally {
        await ds.destroy();
      }
    },
    stop: async () => {
      await mosquitto?.stop();
      mosquitto = undefined;
    },
  };
}

const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000) => pollUntil(what, probe, timeoutMs, 50);

interface Instance {
  id: string;
  env: NodeJS.ProcessEnv;
  base: string;
  proc?: ChildProcess;
  t: TestApp;
}

describe.each([
  ["the machine's Mosquitto", 'open' as const],
  ['a Mosquitto locked down by acsctl mqtt:acl --instances', 'locked' as const],
])('several server instances on PostgreSQL and %s', (_name, brokerKind) => {
  const run = randomBytes(3).toString('hex');
  let broker: Broker;
  let BROKER: string;
  const dbName = `acs_cluster_${run}`;
  let admin: DataSource;
  let a: Instance;
  let b: Instance;
  const dirs: string[] = [];
  let desk: VirtualDevice;
  let doorA: VirtualDevice;
  let doorB: VirtualDevice;
  let ctlA: VirtualController;
  let ctlB: VirtualController;
  const ids: Record<string, string> = {};

  const start = async (i: Instance) => {
    i.proc = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env: i.env, stdio: ['ignore', 'ignore', 'inherit'] });
    await until(
      `instance ${i.id} to start`,
      () =>
        request(i.base)
          .get('/health')
          .then((r) => r.status === 200)
          .catch(() => false),
      60_000,
    );
  };
  const kill = async (i: Instance) => {
    const p = i.proc!;
    // One that already died fires no second 'exit'.
    if (p.exitCode !== null || p.signalCode !== null) return void (i.proc = undefined);
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    i.proc = undefined;
  };
  const instance = async (id: string, shared: NodeJS.ProcessEnv): Promise<Instance> => {
    const dir = mkdtempSync(join(tmpdir(), `acs-cluster-${id}-`));
    dirs.push(dir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...shared, INSTANCE_ID: id, DATA_DIR: dir, HTTP_PORT: String(port) };
    return { id, env, base, t: { http: () => request(base), adminToken: '' } as unknown as TestApp };
  };

  beforeAll(async () => {
    // dist/ is fresh: the e2e global setup (test/support/build-dist.mjs) built server and CLI.
    admin = new DataSource({ type: 'postgres', url: PG_ADMIN });
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${dbName}`);
    broker = brokerKind === 'open' ? await machineBroker() : await lockedDownBroker([`a-${run}`, `b-${run}`]);
    BROKER = broker.url;
    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATABASE_URL: PG_ADMIN.replace(/\/[^/]*$/, `/${dbName}`),
      MQTT_BROKER_URL: BROKER,
      MQTT_SERVER_PASSWORD: SERVER_PASSWORD,
      MASTER_KEY: randomBytes(32).toString('base64'),
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      CLUSTER_LEASE_S: '3',
      LOG_LEVEL: 'warn',
    };
    a = await instance(`a-${run}`, shared);
    b = await instance(`b-${run}`, shared);
    // A migrates the empty database; B then finds it current.
    await start(a);
    await start(b);
    const token = (
      JSON.parse(
        execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'staff:create', '--role', 'admin', '--username', `cluster-${run}`, '--json'], {
          env: a.env,
        }).toString(),
      ) as { token: string }
    ).token;
    a.t = { ...a.t, adminToken: token } as TestApp;
    b.t = { ...b.t, adminToken: token } as TestApp;

    const tmp = dirs[0];
    [desk, doorA, doorB] = await Promise.all([startVirtualReader(tmp), startVirtualReader(tmp), startVirtualReader(tmp)]);
    // The registry is built through A; B learns of it through the database (and the notices).
    const site = await post<{ id: string }>(a.t, '/sites', { name: `Cluster ${run}`, timeZone: 'Europe/Amsterdam' });
    const zone1 = await post<{ id: string }>(a.t, '/zones', { siteId: site.id, name: 'Suite 1', kind: 'suite' });
    const zone2 = await post<{ id: string }>(a.t, '/zones', { siteId: site.id, name: 'Suite 2', kind: 'suite' });
    const reader = (name: string, d: VirtualDevice, role: string, host: string) =>
      post<{ id: string }>(a.t, '/readers', { siteId: site.id, name, model: 'R50x', transport: d.url, role, host });
    ids.desk = (await reader('Desk', desk, 'enrolment', a.id)).id;
    ids.doorA = (await reader('Suite 1 entry', doorA, 'door', a.id)).id;
    ids.doorB = (await reader('Suite 2 entry', doorB, 'door', b.id)).id;
    const controller = async (mqttId: string, host: string) => {
      const c = await post<{ id: string; mqttUsername: string; mqttPassword: string; signingSecret: string }>(a.t, '/controllers', {
        siteId: site.id,
        name: mqttId,
        mqttId,
        host,
      });
      return { id: c.id, identity: { controllerId: c.mqttUsername, password: c.mqttPassword, secret: Buffer.from(c.signingSecret, 'base64') } };
    };
    const cA = await controller(`cl-${run}-a`, a.id);
    const cB = await controller(`cl-${run}-b`, b.id);
    ids.door1 = (
      await post<{ id: string }>(a.t, '/doors', { zoneId: zone1.id, name: 'Suite 1 door', entryReaderId: ids.doorA, controllerId: cA.id, relayChannel: 1 })
    ).id;
    ids.door2 = (
      await post<{ id: string }>(a.t, '/doors', { zoneId: zone2.id, name: 'Suite 2 door', entryReaderId: ids.doorB, controllerId: cB.id, relayChannel: 1 })
    ).id;
    const level = await post<{ id: string }>(a.t, '/access-levels', { siteId: site.id, name: 'Both suites', zoneIds: [zone1.id, zone2.id] });
    ids.level = level.id;
    await broker.controllersRegistered(shared.DATABASE_URL!, [a.id, b.id]);
    ctlA = await startVirtualController(BROKER, cA.identity, { doors: 1 });
    ctlB = await startVirtualController(BROKER, cB.identity, { doors: 1 });
  });

  afterAll(async () => {
    for (const i of [a, b]) if (i?.proc) await kill(i);
    await Promise.all([ctlA?.stop(), ctlB?.stop()].filter(Boolean));
    if (brokerKind === 'open') {
      // Leave no retained status or state behind on a broker other people use.
      const cleaner = await connectRawClient(BROKER, { clientId: `acs-clean-cl-${run}` });
      for (const c of [`cl-${run}-a`, `cl-${run}-b`]) {
        await cleaner.publishAsync(statusTopic(c), '', { qos: 1, retain: true });
        await cleaner.publishAsync(stateTopic(c), '', { qos: 1, retain: true });
      }
      await cleaner.endAsync();
    }
    await Promise.all([desk, doorA, doorB].filter(Boolean).map((d) => d.close()));
    await broker?.stop();
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an enrolment at A reaches the door reader owned by B; a badge-in at B is in the shared history and live on A', async () => {
    const customer = await post<{ id: string }>(a.t, '/customers', {
      companyName: `Cluster ${run} B.V.`,
      contractRef: `CL-${run}`,
      serviceStart: '2026-01-01T00:00:00Z',
    });
    ids.customer = customer.id;
    const person = await post<{ id: string }>(a.t, `/customers/${customer.id}/people`, { fullName: 'Clara Cluster' });
    ids.person = person.id;
    await post(a.t, '/grants', { accessLevelId: ids.level, customerId: customer.id, personId: person.id });

    const started = await post<EnrolmentView>(a.t, '/enrolments', { personId: person.id, finger: 1, readerId: ids.desk });
    expect((await actAtDesk(a.t, desk.device, started.id, 'clara-right-index')).final.status).toBe('enrolled');
    // A stored it on its own door reader; B heard of the outbox work and stored it on its reader.
    await until('the template on both door readers', async () => flashTemplates(doorA).size === 1 && flashTemplates(doorB).size === 1);

    // Live on A while the badge-in happens on B.
    const live: string[] = [];
    const abort = new AbortController();
    const stream = fetch(`${a.base}/monitor/events?doorId=${ids.door2}`, { headers: bearer(a.t.adminToken), signal: abort.signal }).then(async (res) => {
      for await (const e of readEventStream(res.body!)) live.push(e.data);
    });
    await sleep(300);
    doorB.device.place('clara-right-index');
    const events = await until('the granted attempt at B in the shared history', async () => {
      const res = await a.t.http().get(`/customers/${customer.id}/access-events`).set(bearer(a.t.adminToken));
      const items = (res.body as { items: Array<{ doorId: string; result: string; reason: string }> }).items;
      return items.some((e) => e.doorId === ids.door2 && e.result === 'granted') ? items : undefined;
    });
    doorB.device.lift();
    expect(events.filter((e) => e.doorId === ids.door2 && e.result === 'granted')).toHaveLength(1);
    await until("the attempt on A's live stream", async () => live.join('').includes('"result":"granted"'));
    abort.abort();
    await stream.catch(() => undefined);
    // B's controller unlocked its door. The unlock goes out after the attempt is durable, so the
    // history (and the live stream) can show the grant before the relay clicks on a loaded machine.
    await until("B's controller unlocked", async () => ctlB.relayActivations(1) >= 1);
    // B's desk view: its own reader as it sees it, A's as A announced it (never as a failed reader of B's).
    const readersOnB = (await b.t.http().get('/monitor/readers').set(bearer(b.t.adminToken))).body as Array<{ readerId: string; readerState: string }>;
    expect(readersOnB.find((r) => r.readerId === ids.doorB)?.readerState).toBe('ready');
    expect(['ready', 'other_instance']).toContain(readersOnB.find((r) => r.readerId === ids.doorA)?.readerState);
  });

  it('an enrolment asked of B runs on the desk reader wired to A and is followed through B (any instance behind a load balancer)', async () => {
    const started = await post<EnrolmentView>(b.t, '/enrolments', { personId: ids.person, finger: 2, readerId: ids.desk });
    expect(started.status).toBe('running');
    const { final, prompts } = await actAtDesk(b.t, desk.device, started.id, 'clara-right-middle');
    expect(final.status).toBe('enrolled');
    expect(prompts).toContain('place_again');
    // The same enrolment through A, where it ran.
    const onA = await a.t.http().get(`/enrolments/${started.id}`).set(bearer(a.t.adminToken));
    expect(onA.body).toMatchObject({ id: started.id, status: 'enrolled' });
    const fingers = await b.t.http().get(`/people/${ids.person}/fingerprints`).set(bearer(b.t.adminToken));
    expect((fingers.body as Array<{ finger: number }>).map((f) => f.finger).sort()).toEqual([1, 2]);
    // A busy or missing desk answers with the host's own problem code, through B.
    const unknown = await b.t.http().post('/enrolments').set(bearer(b.t.adminToken)).send({ personId: ids.person, finger: 3, readerId: ids.doorA });
    expect(unknown.status).toBe(409);
    expect(unknown.body.code).toBe('enrollment.not_an_enrolment_reader');
    await until('both fingers on both door readers', async () => flashTemplates(doorA).size === 2 && flashTemplates(doorB).size === 2);
  });

  it('a door of A held locked through B: A refuses there at once', async () => {
    const held = await b.t.http().post(`/doors/${ids.door1}/hold-locked`).set(bearer(b.t.adminToken)).send({ active: true });
    expect(held.status).toBeLessThan(300);
    const denied = async () => {
      const res = await a.t.http().get(`/customers/${ids.customer}/access-events`).set(bearer(a.t.adminToken));
      return (res.body as { items: Array<{ doorId: string; result: string; reason: string }> }).items.filter(
        (e) => e.doorId === ids.door1 && e.reason === 'door_locked',
      );
    };
    doorA.device.place('clara-right-index');
    await until('a door_locked denial at A', async () => ((await denied()).length > 0 ? true : undefined));
    doorA.device.lift();
    const released = await b.t.http().post(`/doors/${ids.door1}/hold-locked`).set(bearer(b.t.adminToken)).send({ active: false });
    expect(released.status).toBeLessThan(300);
    expect((await denied()).every((e) => e.result === 'denied')).toBe(true);
  });

  it("killing A loses none of its controller's events, and B keeps serving its door meanwhile", async () => {
    await kill(a);
    // A door forced open at A's door while A is down: B sees it but must not acknowledge it.
    ctlA.openDoor(1);
    await sleep(500);
    ctlA.closeDoor(1);
    // B keeps serving suite 2.
    const before = await b.t.http().get(`/customers/${ids.customer}/access-events`).set(bearer(b.t.adminToken));
    const grantedBefore = (before.body as { items: Array<{ doorId: string; result: string }> }).items.filter(
      (e) => e.doorId === ids.door2 && e.result === 'granted',
    ).length;
    doorB.device.place('clara-right-index');
    await until('a second granted attempt at B with A down', async () => {
      const res = await b.t.http().get(`/customers/${ids.customer}/access-events`).set(bearer(b.t.adminToken));
      return (
        (res.body as { items: Array<{ doorId: string; result: string }> }).items.filter((e) => e.doorId === ids.door2 && e.result === 'granted').length >
        grantedBefore
      );
    });
    doorB.device.lift();
    const whileDown = await b.t.http().get('/alarms').query({ doorId: ids.door1 }).set(bearer(b.t.adminToken));
    expect(whileDown.status).toBe(200);
    expect(whileDown.body).toEqual([]);

    // A comes back: its persistent session and the controller's unacknowledged events deliver the forced opening.
    await start(a);
    const alarms = await until('the forced-open alarm recorded by A', async () => {
      const res = await a.t.http().get('/alarms').query({ doorId: ids.door1 }).set(bearer(a.t.adminToken));
      const list = res.body as Array<{ kind: string; doorId: string }>;
      return list.length > 0 ? list : undefined;
    });
    expect(alarms.map((x) => x.kind)).toEqual(['forced_open']);
  });

  it("a purge started on B erases the templates on A's readers and certifies", async () => {
    await until('A to be ready with its readers', async () => (await a.t.http().get('/ready')).status === 200);
    const ended = await b.t
      .http()
      .patch(`/customers/${ids.customer}`)
      .set(bearer(b.t.adminToken))
      .send({ serviceEnd: new Date(Date.now() - 60_000).toISOString() });
    expect(ended.status).toBe(200);
    const purge = await b.t.http().post(`/compliance/customers/${ids.customer}/purge`).set(bearer(b.t.adminToken)).send({});
    expect(purge.status).toBeLessThan(300);
    const jobId = (purge.body as { id: string }).id;
    const job = await until(
      'the purge to finish',
      async () => {
        const res = await b.t.http().get(`/compliance/erasures/${jobId}`).set(bearer(b.t.adminToken));
        return (res.body as { state: string }).state === 'done' ? (res.body as Record<string, unknown>) : undefined;
      },
      60_000,
    );
    expect(job.state).toBe('done');
    expect(flashTemplates(doorA).size).toBe(0);
    expect(flashTemplates(doorB).size).toBe(0);
    const certs = await b.t.http().get('/compliance/certificates').set(bearer(b.t.adminToken));
    expect(JSON.stringify(certs.body)).toContain(ids.customer);
  });
});
