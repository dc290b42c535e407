import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { applySqlitePragmas } from '@acs/database';

/**
 * One durable commit per row at synchronous=FULL, raw better-sqlite3, on the disk of the server's
 * database (`dir`): the floor for the access event a badge-in must commit before it unlocks.
 */
export function durableCommits(dir: string, n: number): number[] {
  const db = new Database(join(dir, 'commit-floor.sqlite'));
  try {
    applySqlitePragmas(db, { synchronous: 'FULL', busyTimeoutMs: 1000 });
    db.exec('CREATE TABLE IF NOT EXISTS e (seq INTEGER PRIMARY KEY, id TEXT, at INTEGER, reader TEXT, door TEXT, result TEXT, reason TEXT, hash TEXT)');
    const ins = db.prepare('INSERT INTO e (id, at, reader, door, result, reason, hash) VALUES (?,?,?,?,?,?,?)');
    const out: number[] = [];
    for (let i = 1; i <= n; i++) {
      const t0 = performance.now();
      ins.run(randomUUID(), Date.now(), randomUUID(), randomUUID(), 'granted', 'granted', 'f'.repeat(64));
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    db.close();
  }
}
