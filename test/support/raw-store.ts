import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { AccessEvent, AccessEventInput } from '@acs/access-log';
import { insertChained, insertChainedVia } from '@acs/access-log/testing';
import { clientFor, ON_POSTGRES } from './test-database.js';

/**
 * The database of a test server's data folder, opened as an outside tool would (a restore tool,
 * an attacker with write access): SQL with `?` placeholders on either driver, for tests that read
 * or tamper with stored rows behind the server's back.
 */
export interface RawStore {
  /** The driver's own connection, for bulk fixtures (insertChainedInto). */
  readonly native: { sqlite: Database.Database } | { postgres: DataSource };
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a write; the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export async function openRawStore(dir: string, opts: { readonly?: boolean } = {}): Promise<RawStore> {
  if (ON_POSTGRES) {
    const ds = await clientFor(dir);
    return {
      native: { postgres: ds },
      all: async <T>(sql: string, params: unknown[] = []) => (await ds.query(numbered(sql), params)) as T[],
      run: async (sql, params = []) => {
        const runner = ds.createQueryRunner();
        try {
          return (await runner.query(numbered(sql), params, true)).affected ?? 0;
        } finally {
          await runner.release();
        }
      },
      close: () => ds.destroy(),
    };
  }
  const db = new Database(join(dir, 'acs.sqlite'), { readonly: opts.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  return {
    native: { sqlite: db },
    all: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
    close: async () => void db.close(),
  };
}

/** History straight into the store, chained as the server chains it (seconds for 100,000 events). */
export async function insertChainedInto(store: RawStore, inputs: readonly AccessEventInput[], recordedAt: number): Promise<AccessEvent[]> {
  return 'sqlite' in store.native ? insertChained(store.native.sqlite, inputs, recordedAt) : insertChainedVia(store.native.postgres, inputs, recordedAt);
}

/** Column types that can hold text or bytes. */
const STORED_TYPES = ['text', 'character varying', 'character', 'json', 'jsonb', 'bytea'];

/**
 * Everything the database stores, as bytes, for scans for values that must not be there.
 * SQLite: the database file, its WAL and shared-memory file. PostgreSQL: every text, JSON and
 * bytea value of every table (what any session can read: dead row versions and WAL are the
 * server's, covered by VACUUM after erasure and by crypto-shredding).
 */
export async function storedBytes(dir: string): Promise<Buffer> {
  if (!ON_POSTGRES) {
    const file = join(dir, 'acs.sqlite');
    // Read by another process (cat): this one may host the server (TestApp), and closing a
    // descriptor of these files here would drop its SQLite locks (sqlite.org/howtocorrupt.html 2.2).
    const files = [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f));
    return files.length === 0 ? Buffer.alloc(0) : execFileSync('cat', files, { maxBuffer: 4 << 30 });
  }
  const ds = await clientFor(dir);
  try {
    return await pgStoredBytes(ds);
  } finally {
    await ds.destroy();
  }
}

async function pgStoredBytes(ds: DataSource): Promise<Buffer> {
  const columns = (await ds.query(
    `SELECT c.table_name AS "table", c.column_name AS "column", c.data_type AS "type"
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.data_type = ANY($1)`,
    [STORED_TYPES],
  )) as Array<{ table: string; column: string; type: string }>;
  const parts: Buffer[] = [];
  for (const { table, column, type } of columns) {
    const expr = type === 'bytea' ? `"${column}"` : `convert_to("${column}"::text, 'UTF8')`;
    const rows = (await ds.query(`SELECT ${expr} AS v FROM "${table}" WHERE "${column}" IS NOT NULL`)) as Array<{ v: Buffer }>;
    for (const r of rows) parts.push(r.v, Buffer.from([0]));
  }
  return Buffer.concat(parts);
}

/** Occurrences of `needle` in `haystack`. */
export function occurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}
