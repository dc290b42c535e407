import type Database from 'better-sqlite3';

export interface SqlitePragmaOptions {
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

/**
 * Pragmas applied to every connection before TypeORM uses it. These are per connection in
 * SQLite, so they must be set here and not once in a migration.
 * - WAL: readers do not block the writer (history queries during badge-in bursts).
 * - synchronous: FULL by default so an acknowledged access event survives power loss
 *   (NORMAL in WAL mode survives process crashes only; sqlite.org/pragma.html#pragma_synchronous).
 * - secure_delete=ON (not FAST): deleted personal data is overwritten with zeros, freelist pages
 *   included (FAST was measured leaving template bytes on the freelist: docs/sqlite-durability.md
 *   §Secure delete).
 * - foreign_keys: referential integrity; TypeORM also sets it, we do not rely on that.
 */
export function applySqlitePragmas(db: Database.Database, opts: SqlitePragmaOptions): void {
  db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs)}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous}`);
  db.pragma('secure_delete = ON');
  db.pragma('foreign_keys = ON');
}

export interface SqlitePragmaReport {
  journal_mode: string;
  synchronous: number;
  secure_delete: number;
  foreign_keys: number;
  busy_timeout: number;
}

export function readSqlitePragmas(db: Database.Database): SqlitePragmaReport {
  const one = (name: string): unknown => db.pragma(name, { simple: true });
  return {
    journal_mode: String(one('journal_mode')),
    synchronous: Number(one('synchronous')),
    secure_delete: Number(one('secure_delete')),
    foreign_keys: Number(one('foreign_keys')),
    busy_timeout: Number(one('busy_timeout')),
  };
}
