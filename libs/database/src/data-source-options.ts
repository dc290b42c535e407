import type { AppConfig } from '@acs/config';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { applySqlitePragmas } from './sqlite.js';

export interface SchemaParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * The one place that turns configuration into TypeORM options, shared by the server, the CLI
 * and the tests. Never `synchronize`: the schema comes from migrations only.
 */
export function dataSourceOptions(config: AppConfig, schema: SchemaParts): DataSourceOptions {
  return {
    type: 'better-sqlite3',
    database: config.databasePath,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
    timeout: config.DATABASE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db) =>
      applySqlitePragmas(db, { synchronous: config.DATABASE_SYNCHRONOUS, busyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS }),
  };
}
