import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/**
 * The better-sqlite3 handle behind a TypeORM data source, for the few statements TypeORM cannot
 * express (WAL checkpoint, VACUUM, prepared bulk inserts). TypeORM keeps it in the driver's
 * undocumented `databaseConnection`: this is the one place that knows, so an upgrade that moves
 * it breaks here and nowhere else. Throws on any other driver.
 */
export function nativeSqlite(ds: DataSource): BetterSqlite3.Database {
  if (ds.options.type !== 'better-sqlite3') throw new Error(`nativeSqlite: the data source is ${ds.options.type}, not better-sqlite3`);
  const db = (ds.driver as unknown as { databaseConnection?: BetterSqlite3.Database }).databaseConnection;
  if (!db) throw new Error('nativeSqlite: the data source is not initialised');
  return db;
}
