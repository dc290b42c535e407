import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nativeSqlite } from '@acs/database';
// Relative import: the build's alias rewriting does not handle the /testing sub-path.
import { insertChained } from '../../libs/access-log/src/testing/index.js';
import type { Benchmark } from './harness.js';
import { runScale, SNAPSHOT_ROWS, startServer } from './scale-run.js';

/** Scale figures on one server and its SQLite file (scale-run.ts says what is measured). */
const bench: Benchmark = {
  name: 'scale: 20,000 people, 500 readers, 10M history events (one server, SQLite)',
  deadlineMs: { full: 90 * 60_000, quick: 5 * 60_000 },
  async run(ctx) {
    const dataDir = join(ctx.tmpDir, 'scale');
    mkdirSync(dataDir, { recursive: true });
    const env = {
      DATA_DIR: dataDir,
      MASTER_KEY: randomBytes(32).toString('base64'),
      READERS_ENABLED: 'false',
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      MQTT_EMBEDDED_PORT: '0',
      LOG_LEVEL: 'error',
    };
    return runScale(ctx, {
      env,
      placeholder: () => '?',
      historyWriter(ds) {
        const db = nativeSqlite(ds);
        // Fixture only, on the set-up connection (closed before anything is measured): a page cache
        // that holds the history's indexes, and no sync per chunk. 10M events took 40 minutes without.
        const settings = { cache: db.pragma('cache_size', { simple: true }), sync: db.pragma('synchronous', { simple: true }) };
        db.pragma('cache_size = -1000000');
        db.pragma('synchronous = OFF');
        return {
          write: async (batch, recordedAt) => void insertChained(db, batch, recordedAt),
          done: async () => {
            db.pragma(`cache_size = ${Number(settings.cache)}`);
            db.pragma(`synchronous = ${Number(settings.sync)}`);
            db.pragma('wal_checkpoint(TRUNCATE)');
          },
        };
      },
      startServers: async () => {
        // Stopped before the measured context opens the same files.
        const s = await startServer(env);
        await s.stop();
        return { ms: s.ms, rssMb: s.rssMb, note: s.heapNote, stop: async () => undefined };
      },
      rawSnapshot(ds) {
        const statements = SNAPSHOT_ROWS.map((sql) => nativeSqlite(ds).prepare(sql));
        return async () => {
          for (const st of statements) st.all();
        };
      },
      async rawHistoryRows(ds, customerId) {
        let rows = 0;
        for (const _ of nativeSqlite(ds).prepare('SELECT * FROM access_event WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC').iterate(customerId))
          rows++;
        return rows;
      },
    });
  },
};

export default bench;
