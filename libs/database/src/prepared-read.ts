import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { nativeSqlite } from './native-sqlite.js';

// Statements per connection, prepared once: a reconnect (tests, restore) gets fresh ones.
const prepared = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * Rows of one fixed SELECT on a hot path (every request's token check, say), written with `?`
 * placeholders. TypeORM's find and query builder spend about a millisecond building and mapping a
 * one-row lookup that the database answers in microseconds (`npm run bench -- access-log`, the
 * HTTP figures), so these few reads bypass it: better-sqlite3's prepared statement on the shared
 * connection on SQLite (synchronous; it sees what that connection sees, as TypeORM's reads do),
 * and on PostgreSQL the same text with `$n` placeholders through the pool. Columns come back as
 * the driver returns them: PostgreSQL's bigint as a string, so callers convert. `sql` must be a
 * constant (it keys the statement cache), never built from input, with no `?` inside a literal.
 */
export async function readRows<T>(ds: DataSource, sql: string, params: ReadonlyArray<string | number | null>): Promise<T[]> {
  if (ds.options.type !== 'better-sqlite3') {
    let n = 0;
    return (await ds.query(
      sql.replace(/\?/g, () => `$${++n}`),
      [...params],
    )) as T[];
  }
  const db = nativeSqlite(ds);
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = new Map()));
  let stmt = statements.get(sql);
  if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
  return stmt.all(...params) as T[];
}
