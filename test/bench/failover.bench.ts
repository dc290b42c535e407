import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { freePort } from '../../libs/mqtt/src/testing/index.js';
import { stateTopic, statusTopic } from '@acs/door-protocol';
import { VirtualController } from '../../hardware/virtual-controller/src/virtual-controller.js';
import { VirtualReader, VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/index.js';
// Relative: the build's alias rewriting does not handle the /testing sub-path.
import { createPostgresDatabase } from '../../libs/database/src/testing/index.js';
import { summarise, type Benchmark, type Figure } from './harness.js';

const BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const LEASE_MS = 3000;

interface Instance {
  id: string;
  env: NodeJS.ProcessEnv;
  base: string;
  proc?: ChildProcess;
  /** The end of the instance's stderr, for the error when it dies while starting. */
  stderr: string;
}

/**
 * Issue 18: how long a door is out of service when the instance serving it dies. Two instances
 * (the built server, on the machine's PostgreSQL and Mosquitto) serve failover group g1; a door
 * reader behind a device server and its controller prefer A. Each round SIGKILLs whichever
 * instance serves the door while a finger is presented again and again, and times the kill to
 * the first granted attempt the other instance records there; the killed one is restarted for
 * the next round (no fail-back, so the two take turns). The floor is the configured lease time
 * (DEVICE_LEASE_MS): the takeover cannot come before the lease has lapsed, and the issue asks
 * for at most 1.5 times it.
 */
const bench: Benchmark = {
  name: 'failover: owner death to the first grant at its door, against the lease time',
  deadlineMs: { full: 900_000, quick: 240_000 },
  async run(ctx) {
    const rounds = ctx.quick ? 3 : 20;
    const run = randomBytes(3).toString('hex');
    const db = await createPostgresDatabase('acs_bench_fo');
    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      MQTT_BROKER_URL: BROKER,
      MQTT_SERVER_PASSWORD: randomBytes(12).toString('hex'),
      MASTER_KEY: randomBytes(32).toString('base64'),
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      FAILOVER_GROUPS: 'g1',
      DEVICE_LEASE_MS: String(LEASE_MS),
      BADGE_UNLOCK_MS: '500',
      LOG_LEVEL: 'error',
    };
    const inst: Instance[] = [];
    for (const k of ['a', 'b']) {
      inst.push({
        id: `${k}-${run}`,
        env: { ...shared, INSTANCE_ID: `${k}-${run}`, DATA_DIR: mkdtempSync(join(ctx.tmpDir, `${k}-`)), HTTP_PORT: String(await freePort()) },
        base: '',
        stderr: '',
      });
    }
    for (const i of inst) i.base = `http://127.0.0.1:${i.env.HTTP_PORT}`;
    let token = '';
    const call = async <T>(i: Instance, method: string, path: string, body?: unknown): Promise<T> => {
      // A bounded wait: a request the server never answers fails the run naming the call, instead of
      // hanging it until the harness deadline with no clue which step stuck.
      const res = await fetch(`${i.base}${path}`, {
        method,
        signal: AbortSignal.timeout(30_000),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const start = async (i: Instance) => {
      const proc = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env: i.env, stdio: ['ignore', 'ignore', 'pipe'] });
      i.proc = proc;
      i.stderr = '';
      proc.stderr?.on('data', (chunk: Buffer) => (i.stderr = (i.stderr + chunk.toString()).slice(-2000)));
      for (const deadline = Date.now() + 60_000; ;) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`instance ${i.id} exited (${proc.exitCode ?? proc.signalCode}) while starting: ${i.stderr.trim() || 'nothing on stderr'}`);
        }
        const up = await fetch(`${i.base}/health`, { signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        if (Date.now() > deadline) throw new Error(`instance ${i.id} did not start`);
        await sleep(100);
      }
    };
    const kill = async (i: Instance) => {
      const p = i.proc;
      if (!p) return;
      i.proc = undefined;
      // An instance that already died (while starting, say) fires no second 'exit': waiting for one
      // hung a CI run until the harness deadline, with the start-up error never reported.
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    };
    const desk = new VirtualReader({ seed: 1 });
    const door = new VirtualReader({ seed: 2 });
    const deskServer = new VirtualReaderTcpServer(desk);
    const doorServer = new VirtualReaderTcpServer(door, { newClientWins: true });
    let controller: VirtualController | undefined;
    const figures: Figure[] = [];
    try {
      await start(inst[0]);
      await start(inst[1]);
      ctx.log('two instances up');
      token = (
        JSON.parse(
          execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'staff:create', '--role', 'admin', '--username', `bench-${run}`, '--json'], {
            env: inst[0].env,
          }).toString(),
        ) as { token: string }
      ).token;
      const deskUrl = (await deskServer.listen(0)).url;
      const doorUrl = (await doorServer.listen(0)).url;
      const [a] = inst;
      const site = await call<{ id: string }>(a, 'POST', '/sites', { name: 'Failover bench' });
      const zone = await call<{ id: string }>(a, 'POST', '/zones', { siteId: site.id, name: 'Suite', kind: 'suite' });
      const deskId = (
        await call<{ id: string }>(a, 'POST', '/readers', { siteId: site.id, name: 'Desk', model: 'R50x', transport: deskUrl, role: 'enrolment', host: a.id })
      ).id;
      const readerId = (
        await call<{ id: string }>(a, 'POST', '/readers', {
          siteId: site.id,
          name: 'Door',
          model: 'R50x',
          transport: doorUrl,
          role: 'door',
          host: a.id,
          failoverGroup: 'g1',
        })
      ).id;
      const ctl = await call<{ id: string; mqttUsername: string; mqttPassword: string; signingSecret: string }>(a, 'POST', '/controllers', {
        siteId: site.id,
        name: 'Bench controller',
        mqttId: `fo-bench-${run}`,
        host: a.id,
        failoverGroup: 'g1',
      });
      const doorId = (
        await call<{ id: string }>(a, 'POST', '/doors', { zoneId: zone.id, name: 'Door', entryReaderId: readerId, controllerId: ctl.id, relayChannel: 1 })
      ).id;
      controller = new VirtualController({
        url: BROKER,
        controllerId: ctl.mqttUsername,
        password: ctl.mqttPassword,
        secret: Buffer.from(ctl.signingSecret, 'base64'),
        doors: 1,
        reconnectPeriodMs: 100,
      });
      await controller.start();
      const customer = await call<{ id: string }>(a, 'POST', '/customers', {
        companyName: 'Bench B.V.',
        contractRef: `FB-${run}`,
        serviceStart: '2026-01-01T00:00:00Z',
      });
      const person = await call<{ id: string }>(a, 'POST', `/customers/${customer.id}/people`, { fullName: 'Bench Person' });
      const level = await call<{ id: string }>(a, 'POST', '/access-levels', { siteId: site.id, name: 'Always', zoneIds: [zone.id] });
      await call(a, 'POST', '/grants', { accessLevelId: level.id, customerId: customer.id, personId: person.id });
      // The desk flow, as staff would go through it (the prompts of GET /enrolments/:id).
      const enrolment = await call<{ id: string }>(a, 'POST', '/enrolments', { personId: person.id, finger: 1, readerId: deskId });
      for (const deadline = Date.now() + 60_000; ;) {
        const view = await call<{ status: string; prompt: string | null }>(a, 'GET', `/enrolments/${enrolment.id}`);
        const placed = desk.status().finger !== null;
        if (view.status !== 'running') {
          if (view.status !== 'enrolled') throw new Error(`bench enrolment ${view.status}`);
          desk.lift();
          break;
        }
        if (view.prompt === 'lift_finger' && placed) desk.lift();
        else if ((view.prompt === 'place_finger' || view.prompt === 'place_again' || view.prompt === 'try_again') && !placed) desk.place('bench-finger');
        else if (view.prompt === 'try_again' && placed) desk.lift();
        if (Date.now() > deadline) throw new Error('bench enrolment did not finish');
        await sleep(20);
      }
      for (const deadline = Date.now() + 60_000; door.status().templateCount === 0;) {
        if (Date.now() > deadline) throw new Error('the template never reached the door reader');
        await sleep(100);
      }
      ctx.log('enrolled; the template is on the door reader');

      let presenting = true;
      const presenter = (async () => {
        while (presenting) {
          door.place('bench-finger');
          await sleep(250);
          door.lift();
          await sleep(150);
        }
      })();
      const grants = async (via: Instance): Promise<number> => {
        const page = await call<{ items: Array<{ kind: string; result: string }> }>(
          via,
          'GET',
          `/customers/${customer.id}/access-events?doorId=${doorId}&limit=500`,
        );
        return page.items.filter((e) => e.kind === 'attempt' && e.result === 'granted').length;
      };
      const samples: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const leases = await call<Array<{ holder: string; live: boolean }>>(inst[0].proc ? inst[0] : inst[1], 'GET', '/cluster/device-leases');
        const holder = inst.find((i) => i.id === leases[0]?.holder && leases[0].live);
        if (!holder) throw new Error('nobody serves the door before the kill');
        const other = inst.find((i) => i !== holder)!;
        // The door works before the kill: a grant by the holder.
        const before = await grants(other);
        for (const deadline = Date.now() + 30_000; (await grants(other)) === before;) {
          if (Date.now() > deadline) throw new Error('no grant before the kill');
          await sleep(50);
        }
        const seen = await grants(other);
        const killedAt = performance.now();
        await kill(holder);
        for (const deadline = Date.now() + 60_000; (await grants(other)) === seen;) {
          if (Date.now() > deadline) throw new Error(`round ${r}: no grant after the kill`);
          await sleep(25);
        }
        samples.push(performance.now() - killedAt);
        ctx.log(`round ${r + 1}/${rounds}: ${Math.round(samples[samples.length - 1])} ms`);
        await start(holder);
      }
      presenting = false;
      await presenter;
      const s = summarise(samples);
      figures.push(
        { name: `owner death to first grant p50 (${s.n} kills)`, value: s.p50, unit: 'ms', baseline: LEASE_MS, better: 'lower', target: 1.5 },
        { name: `owner death to first grant p99 (${s.n} kills)`, value: s.p99, unit: 'ms', baseline: LEASE_MS, better: 'lower', target: 1.5 },
      );
    } finally {
      for (const i of inst) await kill(i).catch(() => undefined);
      await controller?.stop().catch(() => undefined);
      // Leave no retained status or state behind on the machine's broker (other runs would see an unknown controller).
      const cleaner = await mqtt.connectAsync(BROKER, { clientId: `acs-clean-fo-bench-${run}` }).catch(() => undefined);
      for (const topic of [statusTopic(`fo-bench-${run}`), stateTopic(`fo-bench-${run}`)]) await cleaner?.publishAsync(topic, '', { qos: 1, retain: true });
      await cleaner?.endAsync();
      await deskServer.close();
      await doorServer.close();
      await db.drop().catch(() => undefined);
    }
    return figures;
  },
};

export default bench;
