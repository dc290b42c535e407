import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ACCESS_EVENT_COLUMNS, AccessLogService, REPLAY_BATCH, type SpooledEvent, toRow } from '@acs/access-log';
import { DatabaseHealth } from '@acs/database';
// Relative: the build's alias rewriting does not handle the /testing sub-path.
import { createPostgresDatabase } from '../../libs/database/src/testing/index.js';
import { freePort } from '../../libs/mqtt/src/testing/index.js';
import { CuttableProxy } from '../support/cuttable-proxy.js';
import { arrivals, badgeOnce, buildRig, type Rig } from './badge-in.bench.js';
import { summarise, type Benchmark, type Figure } from './harness.js';

/**
 * Issue 18, degraded mode. The whole server in process (as the badge-in bench builds it) on
 * PostgreSQL reached through a TCP proxy:
 * 1. badge-in latency (Search reply -> unlock at the controller) while the database answers,
 *    then with the proxy cut, when each attempt is committed to the local spool (SQLite,
 *    synchronous=FULL) instead of PostgreSQL before the unlock. Target: degraded / normal <= 1.2.
 * 2. the replay: spooled events written into the central history through the access log's own
 *    replay (500 per commit, ids checked, chains linked), against raw multi-row INSERTs of the
 *    same rows in batches of 500 from one pg client into a table with access_event's columns and
 *    indexes. Target: >= 0.5 of the raw rate.
 */
const bench: Benchmark = {
  name: 'degraded mode: badge-in with the database cut, and the replay',
  deadlineMs: { full: 600_000, quick: 240_000 },
  async run(ctx) {
    const badges = ctx.quick ? 150 : 600;
    const replayed = ctx.quick ? 2000 : 10_000;
    const db = await createPostgresDatabase('acs_bench_dg');
    const target = new URL(db.url);
    const proxy = new CuttableProxy(await freePort(), { host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    let rig: Rig | undefined;
    const figures: Figure[] = [];
    try {
      rig = await buildRig(1, 1, { DATABASE_URL: viaProxy.toString(), DEGRADED_WINDOW_S: '900' });
      const arrive = arrivals(rig);
      const one = rig.readers[0];
      for (let i = 0; i < 30; i++) await badgeOnce(rig, arrive, one);
      const normal: number[] = [];
      for (let i = 0; i < badges; i++) normal.push(await badgeOnce(rig, arrive, one));

      const health = rig.t.app.get(DatabaseHealth);
      await proxy.cut();
      // The first write after the cut is what reveals it; that attempt is spooled too, and not timed.
      await badgeOnce(rig, arrive, one);
      for (const deadline = Date.now() + 15_000; !health.degraded;) {
        if (Date.now() > deadline) throw new Error('the server never noticed the cut');
        await sleep(50);
      }
      for (let i = 0; i < 10; i++) await badgeOnce(rig, arrive, one);
      const degraded: number[] = [];
      for (let i = 0; i < badges; i++) degraded.push(await badgeOnce(rig, arrive, one));
      await proxy.open();
      for (const deadline = Date.now() + 30_000; health.degraded || rig.t.app.get(AccessLogService).route() !== 'central';) {
        if (Date.now() > deadline) throw new Error('the spool was not replayed after the database came back');
        await sleep(100);
      }
      const n = summarise(normal);
      const d = summarise(degraded);
      ctx.log(`${n.n} badge-ins with the database, ${d.n} with it cut (spooled)`);
      figures.push(
        { name: 'badge-in p50, database cut (spool) vs reachable', value: d.p50, unit: 'ms', baseline: n.p50, better: 'lower', target: 1.2 },
        { name: 'badge-in p99, database cut (spool) vs reachable', value: d.p99, unit: 'ms', baseline: n.p99, better: 'lower', target: 1.2 },
      );

      // The replay, through the access log's own path, of events as the spool holds them.
      const log = rig.t.app.get(AccessLogService);
      const siteId = randomUUID();
      const customerId = randomUUID();
      const records: SpooledEvent[] = Array.from({ length: replayed }, (_, i) => {
        const id = uuidv7();
        return {
          seq: i + 1,
          createdAt: Date.now(),
          input: {
            id,
            attemptId: id,
            customerId,
            personId: randomUUID(),
            siteId,
            doorId: randomUUID(),
            readerId: randomUUID(),
            direction: 'entry',
            result: 'granted',
            reason: 'granted',
            occurredAt: Date.now() - (replayed - i),
          },
        };
      });
      let t0 = performance.now();
      for (let i = 0; i < records.length; i += REPLAY_BATCH) await log.replaySpooled(records.slice(i, i + REPLAY_BATCH));
      const replayRate = replayed / ((performance.now() - t0) / 1000);
      const verdict = await log.verify(customerId);
      if (!verdict.ok || verdict.checked !== replayed) throw new Error(`the replayed chain does not verify: ${JSON.stringify(verdict)}`);

      // The floor: the same rows, 500 per INSERT and one commit each, from one pg client, into a
      // table made LIKE access_event INCLUDING ALL (its primary key, unique chain index and three
      // time indexes): what any write of these rows into that table costs, without the replay's
      // id check, chain lock, head read, validation and hashing.
      const raw = new pg.Client({ connectionString: target.toString() });
      await raw.connect();
      await raw.query('CREATE TABLE raw_events (LIKE access_event INCLUDING ALL)');
      const h = 'f'.repeat(64);
      const width = ACCESS_EVENT_COLUMNS.length;
      t0 = performance.now();
      for (let i = 0; i < records.length; i += REPLAY_BATCH) {
        const batch = records.slice(i, i + REPLAY_BATCH);
        const values: unknown[] = [];
        const rows = batch.map((r, k) => {
          const e = r.input;
          values.push(
            ...toRow({
              ...e,
              chainId: customerId,
              seq: i + k + 1,
              customerId,
              personId: e.personId ?? null,
              zoneId: null,
              doorId: e.doorId ?? null,
              readerId: e.readerId ?? null,
              kind: 'attempt',
              recordedAt: Date.now(),
              prevHash: h,
              hash: h,
              credential: null,
              degraded: true,
            }),
          );
          return `(${Array.from({ length: width }, (_, c) => `$${k * width + c + 1}`).join(',')})`;
        });
        await raw.query(`INSERT INTO raw_events (${ACCESS_EVENT_COLUMNS.join(', ')}) VALUES ${rows.join(',')}`, values);
      }
      const rawRate = replayed / ((performance.now() - t0) / 1000);
      await raw.end();
      ctx.log(`replay ${Math.round(replayRate)} events/s, raw batched inserts ${Math.round(rawRate)} rows/s`);
      figures.push({ name: `replay throughput (${replayed} events)`, value: replayRate, unit: 'ev/s', baseline: rawRate, better: 'higher', target: 0.5 });
    } finally {
      await rig?.close().catch(() => undefined);
      await proxy.cut().catch(() => undefined);
      await db.drop().catch(() => undefined);
    }
    return figures;
  },
};

export default bench;
