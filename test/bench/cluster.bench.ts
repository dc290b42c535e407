import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AuditService } from '@acs/audit';
import { SystemClock } from '@acs/clock';
import { ClusterBus } from '@acs/cluster';
import { loadConfig } from '@acs/config';
import { runMigrations, WriteQueue } from '@acs/database';
import { AcsMqttClient } from '@acs/mqtt';
import { SCHEMA } from '@acs/schema';
// Relative: the build's alias rewriting does not handle the /testing sub-path.
import { createPostgresDatabase } from '../../libs/database/src/testing/index.js';
import { summarise, type Benchmark, type Figure } from './harness.js';

const BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';

/**
 * Several instances (issue 11), on the machine's PostgreSQL and Mosquitto:
 * 1. audit entries per second when two instances (two pools) append to the one hash chain, each
 *    entry its own transaction under the advisory lock, against raw `pg` commit-per-row inserts
 *    of rows of the same shape from one client;
 * 2. a cluster notice from one instance to another (ClusterBus, QoS 1, NODELAY) against a raw
 *    mqtt.js QoS 1 publish-to-receive between two plain clients on the same broker.
 */
const bench: Benchmark = {
  name: 'several instances: shared audit chain on PostgreSQL, notices over Mosquitto',
  async run(ctx) {
    const n = ctx.quick ? 200 : 2000;
    const db = await createPostgresDatabase('acs_bench');
    const url = db.url;
    const figures: Figure[] = [];
    const sources: DataSource[] = [];
    try {
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      await raw.query(`CREATE TABLE e (seq integer PRIMARY KEY, id text, at bigint, actor_type text, actor_id text, role text,
        action text, target_type text, target_id text, outcome text, request_id text, details text, prev_hash text, hash text)`);
      const h = 'f'.repeat(64);
      let t0 = performance.now();
      for (let i = 1; i <= n; i++) {
        await raw.query('INSERT INTO e VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)', [
          i,
          `id-${i}`,
          Date.now(),
          'staff',
          'a',
          'admin',
          'staff.create',
          'staff',
          `t${i}`,
          'success',
          null,
          null,
          h,
          h,
        ]);
      }
      const rawRate = n / ((performance.now() - t0) / 1000);
      await raw.end();

      for (let i = 0; i < 2; i++) {
        const ds = new DataSource({ type: 'postgres', url, entities: SCHEMA.entities, migrations: SCHEMA.migrations });
        await ds.initialize();
        sources.push(ds);
      }
      await runMigrations(sources[0]);
      const writers = sources.map((ds) => new AuditService(ds, new WriteQueue(ds), new SystemClock()));
      const actor = { actorType: 'staff', actorId: 'a', role: 'admin' };
      t0 = performance.now();
      await Promise.all(
        writers.map(async (w, k) => {
          for (let i = k; i < n; i += writers.length)
            await w.record({ actor, action: 'staff.create', targetType: 'staff', targetId: `t${i}`, outcome: 'success' });
        }),
      );
      const appRate = n / ((performance.now() - t0) / 1000);
      const verify = await writers[0].verify();
      if (!verify.ok) throw new Error('the shared audit chain does not verify after concurrent appends');
      ctx.log(`${n} entries each way; chain of ${n} verified after two instances appended`);
      figures.push({ name: 'audit entries/s, two instances, PostgreSQL', value: appRate, unit: 'rows/s', baseline: rawRate, better: 'higher' });
    } finally {
      for (const ds of sources) await ds.destroy();
      await db.drop();
    }

    // Notices between instances.
    const rounds = ctx.quick ? 100 : 1000;
    const run = randomBytes(3).toString('hex');
    const client = (id: string) => new AcsMqttClient({ url: BROKER, clientId: `bench-${run}-${id}`, username: 'bench', password: 'bench', clean: true });
    const [ca, cb, ra, rb] = [client('a'), client('b'), client('ra'), client('rb')];
    try {
      const busA = new ClusterBus(ca, loadConfig({ INSTANCE_ID: `a-${run}` }));
      const busB = new ClusterBus(cb, loadConfig({ INSTANCE_ID: `b-${run}` }));
      let arrived: (() => void) | undefined;
      await busB.subscribe(`bench-${run}`, () => arrived?.());
      await Promise.all([ca.connect(), cb.connect()]);
      const noticeMs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const got = new Promise<void>((r) => (arrived = r));
        const t = performance.now();
        busA.publish(`bench-${run}`, { readerIds: ['x'] });
        await got;
        noticeMs.push(performance.now() - t);
      }
      const rawMs: number[] = [];
      const topic = `bench/${run}/raw`;
      await rb.route(topic, () => arrived?.());
      await Promise.all([ra.connect(), rb.connect()]);
      for (let i = 0; i < rounds; i++) {
        const got = new Promise<void>((r) => (arrived = r));
        const t = performance.now();
        // As the bus does: the notice is timed to its arrival, not to the sender's PUBACK.
        void ra.publish(topic, JSON.stringify({ from: 'x', body: { readerIds: ['x'] } }), { qos: 1 }).catch(() => undefined);
        await got;
        rawMs.push(performance.now() - t);
      }
      const notice = summarise(noticeMs);
      const rawStats = summarise(rawMs);
      ctx.log(`${rounds} notices each way over ${BROKER}`);
      figures.push({ name: 'cluster notice p50', value: notice.p50, unit: 'ms', baseline: rawStats.p50, better: 'lower' });
      figures.push({ name: 'cluster notice p99', value: notice.p99, unit: 'ms', baseline: rawStats.p99, better: 'lower' });
    } finally {
      await Promise.all([ca, cb, ra, rb].map((c) => c.end().catch(() => undefined)));
    }
    return figures;
  },
};

export default bench;
