import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// Relative imports: the build's alias rewriting does not handle the /testing sub-path.
import { insertChainedVia } from '../../libs/access-log/src/testing/index.js';
import { createPostgresDatabase } from '../../libs/database/src/testing/index.js';
import type { Benchmark } from './harness.js';
import { runScale, SNAPSHOT_ROWS, startServer } from './scale-run.js';

const BROKER = process.env.ACS_TEST_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
/** BENCH_SCALE_INSTANCES=1: the same on one instance, to see what the other four cost the measured one. */
const INSTANCES = Number(process.env.BENCH_SCALE_INSTANCES ?? 5);

/**
 * The scale figures of scale-run.ts on the machine's PostgreSQL, with five instances on the one
 * database and Mosquitto: the door readers' preferred hosts spread over the five; four instances
 * are real server processes, started together (their start-up and memory are the figures), and
 * they stay up, each relaying and reloading after every change, while the fifth, in the
 * benchmark's process, is measured.
 */
const bench: Benchmark = {
  name: 'scale: 20,000 people, 500 readers across 5 instances, 10M history events (PostgreSQL)',
  deadlineMs: { full: 120 * 60_000, quick: 8 * 60_000 },
  async run(ctx) {
    if (!Number.isSafeInteger(INSTANCES) || INSTANCES < 1)
      throw new RangeError(`BENCH_SCALE_INSTANCES must be a positive integer, got ${process.env.BENCH_SCALE_INSTANCES}`);
    const db = await createPostgresDatabase('acs_bench_scale');
    const run = randomBytes(3).toString('hex');
    const shared = {
      DATABASE_URL: db.url,
      MQTT_BROKER_URL: BROKER,
      MQTT_SERVER_PASSWORD: randomBytes(12).toString('hex'),
      MASTER_KEY: randomBytes(32).toString('base64'),
      READERS_ENABLED: 'false',
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      LOG_LEVEL: 'error',
    };
    const instances = Array.from({ length: INSTANCES }, (_, i) => {
      const dir = join(ctx.tmpDir, `instance-${i + 1}`);
      mkdirSync(dir, { recursive: true });
      return { ...shared, INSTANCE_ID: `scale-${run}-${i + 1}`, DATA_DIR: dir };
    });
    try {
      return await runScale(ctx, {
        env: instances[0],
        hosts: instances.map((i) => i.INSTANCE_ID),
        placeholder: (n) => `$${n}`,
        historyWriter: (ds) => ({
          write: async (batch, recordedAt) => void (await insertChainedVia(ds, batch, recordedAt)),
          // Statistics for the planner, as autovacuum would gather them on a live database.
          done: async () => void (await ds.query('ANALYZE')),
        }),
        startServers: async () => {
          // One instance alone: started and stopped, as on SQLite, for its start-up and memory.
          const alone = instances.length === 1;
          const settled = await Promise.allSettled((alone ? instances : instances.slice(1)).map((env) => startServer(env)));
          const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
          const stop = async () => void (await Promise.all(up.map((s) => s.stop())));
          const failed = settled.find((s) => s.status === 'rejected');
          if (failed) {
            await stop();
            throw failed.reason;
          }
          if (alone) await stop();
          return {
            ms: Math.max(...up.map((s) => s.ms)),
            rssMb: Math.max(...up.map((s) => s.rssMb)),
            note: `${up.length} instances started together, /health after ${up.map((s) => s.ms.toFixed(0)).join(', ')} ms, resident ${up.map((s) => s.rssMb.toFixed(0)).join(', ')} MB; the slowest and the largest are the figures`,
            stop,
          };
        },
        rawSnapshot: (ds) => async () => {
          for (const sql of SNAPSHOT_ROWS) await ds.query(sql);
        },
        rawHistoryRows: async (ds, customerId) =>
          ((await ds.query('SELECT * FROM access_event WHERE customer_id = $1 ORDER BY occurred_at DESC, id DESC', [customerId])) as unknown[]).length,
      });
    } finally {
      await db.drop();
    }
  },
};

export default bench;
