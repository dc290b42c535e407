import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditService } from '@acs/audit';
import { SystemClock } from '@acs/clock';
import { applySqlitePragmas } from '@acs/database';
// A relative import: the build's alias rewriting does not handle the /testing sub-path.
import { createTestDatabase } from '../../libs/database/src/testing/index.js';
import { SCHEMA } from '@acs/schema';
import type { Benchmark } from './harness.js';

/**
 * Benchmark definition 2 (docs/measured-baselines.md §Benchmark definitions): durable audit entries per second through
 * the application path (TypeORM, synchronous=FULL, write queue, hash chain, one commit each)
 * against raw better-sqlite3 commit-per-row inserts of rows of the same shape at FULL.
 */
const bench: Benchmark = {
  name: 'audit trail append (durable, commit per entry)',
  async run(ctx) {
    const n = ctx.quick ? 300 : 3000;

    const raw = new Database(join(ctx.tmpDir, 'raw.sqlite'));
    applySqlitePragmas(raw, { synchronous: 'FULL', busyTimeoutMs: 1000 });
    raw.exec(`CREATE TABLE e (seq INTEGER PRIMARY KEY, id TEXT, at INTEGER, actor_type TEXT, actor_id TEXT, role TEXT,
      action TEXT, target_type TEXT, target_id TEXT, outcome TEXT, request_id TEXT, details TEXT, prev_hash TEXT, hash TEXT)`);
    const ins = raw.prepare('INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
    const h = 'f'.repeat(64);
    let t0 = performance.now();
    for (let i = 1; i <= n; i++) {
      ins.run(i, `id-${i}`, Date.now(), 'staff', 'a', 'admin', 'staff.create', 'staff', `t${i}`, 'success', null, null, h, h);
    }
    const rawRate = n / ((performance.now() - t0) / 1000);
    raw.close();

    const db = await createTestDatabase(SCHEMA, { DATABASE_SYNCHRONOUS: 'FULL' });
    try {
      const audit = new AuditService(db.dataSource, db.writes, new SystemClock());
      const actor = { actorType: 'staff', actorId: 'a', role: 'admin' };
      t0 = performance.now();
      for (let i = 1; i <= n; i++) {
        await audit.record({ actor, action: 'staff.create', targetType: 'staff', targetId: `t${i}`, outcome: 'success' });
      }
      const appRate = n / ((performance.now() - t0) / 1000);
      ctx.log(`${n} entries each way`);
      return [{ name: 'audit entries per second', value: appRate, unit: 'rows/s', baseline: rawRate, better: 'higher' }];
    } finally {
      await db.close();
    }
  },
};

export default bench;
