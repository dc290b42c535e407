import type { DataSource, Migration } from 'typeorm';

/** Runs pending migrations one transaction each; returns the names that ran. */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  return dataSource.runMigrations({ transaction: 'each' });
}

/**
 * The SQL TypeORM would run to make the database match the entities. Empty when migrations and
 * entities agree; anything else is drift that a new migration must cover.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}
