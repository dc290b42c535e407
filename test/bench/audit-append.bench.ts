import { randomUUID } from 'node:crypto';
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
 * the application path (AuditService.record: write queue, chain head read, hash, one commit each at
 * synchronous=FULL) against raw better-sqlite3 commit-per-row inserts of rows of the same shape
 * into a table with audit_entry's indexes (each commit writes the same b-trees) at FULL, on the
 * same disk. The two alternate in blocks, so a change in the machine's load or the
 * disk's flush time (other processes share both) moves both sides alike.
 */
const bench: Benchmark = {
  name: 'audit trail append (durable, commit per entry)',
  async run(ctx) {
    const n = ctx.quick ? 300 : 3000;

    const blocks = 10;
    const perBlock = Math.ceil(n / blocks);

    const raw = new Database(join(ctx.tmpDir, 'raw.sqlite'));
    applySqlitePragmas(raw, { synchronous: 'FULL', busyTimeoutMs: 1000 });
    // audit_entry's shape with its indexes (migrations/…-Foundation.ts): each commit writes the same b-trees.
    raw.exec(`CREATE TABLE e (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, at INTEGER, actor_type TEXT, actor_id TEXT, role TEXT,
      action TEXT, target_type TEXT, target_id TEXT, outcome TEXT, request_id TEXT, details TEXT, prev_hash TEXT, hash TEXT);
      CREATE INDEX e_at ON e (at); CREATE INDEX e_target ON e (target_type, target_id); CREATE INDEX e_actor ON e (actor_id)`);
    const ins = raw.prepare('INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
    const h = 'f'.repeat(64);
    let rawRows = 0;

    const db = await createTestDatabase(SCHEMA, { DATABASE_SYNCHRONOUS: 'FULL' });
    try {
      const audit = new AuditService(db.dataSource, db.writes, new SystemClock());
      const actor = { actorType: 'staff', actorId: 'a', role: 'admin' };
      let appMs = 0;
      let rawMs = 0;
      let appRows = 0;
      for (let b = 0; b < blocks; b++) {
        let t0 = performance.now();
        for (let i = 0; i < perBlock; i++) {
          rawRows++;
          ins.run(rawRows, randomUUID(), Date.now(), 'staff', 'a', 'admin', 'staff.create', 'staff', `t${rawRows}`, 'success', null, null, h, h);
        }
        rawMs += performance.now() - t0;
        t0 = performance.now();
        for (let i = 0; i < perBlock; i++) {
          appRows++;
          await audit.record({ actor, action: 'staff.create', targetType: 'staff', targetId: `t${appRows}`, outcome: 'success' });
        }
        appMs += performance.now() - t0;
      }
      const verdict = await audit.verify();
      if (!verdict.ok || verdict.checked !== appRows) throw new Error(`the chain of ${appRows} entries does not verify: ${JSON.stringify(verdict)}`);
      ctx.log(`${appRows} entries each way in ${blocks} alternating blocks: ${(appMs / appRows).toFixed(3)} ms vs ${(rawMs / rawRows).toFixed(3)} ms an entry`);
      return [
        {
          name: 'audit entries per second',
          value: appRows / (appMs / 1000),
          unit: 'rows/s',
          baseline: rawRows / (rawMs / 1000),
          better: 'higher',
          target: 0.7,
        },
      ];
    } finally {
      raw.close();
      await db.close();
    }
  },
};

export default bench;
