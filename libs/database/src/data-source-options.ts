import type { AppConfig } from '@acs/config';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { applySqlitePragmas } from './sqlite.js';
import { restrictSqliteFiles } from './sqlite-files.js';

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
  const common = {
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
  } as const;
  if (config.DATABASE_URL) {
    return {
      ...common,
      type: 'postgres',
      url: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      // Names the server's sessions in pg_stat_activity, for the operator sharing the cluster.
      applicationName: 'acs-server',
      connectTimeoutMS: 10_000,
      extra: {
        // Server-side limit: a runaway query cannot hold the write queue for ever. 0 = no limit.
        ...(config.DATABASE_STATEMENT_TIMEOUT_MS > 0 ? { statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS } : {}),
      },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.databasePath,
    timeout: config.DATABASE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db) => {
      applySqlitePragmas(db, { synchronous: config.DATABASE_SYNCHRONOUS, busyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS });
      // The pragmas created -wal and -shm: all three owner-only from here on.
      restrictSqliteFiles(config.databasePath);
    },
  };
}
