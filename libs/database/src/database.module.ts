import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@acs/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions, type SchemaParts } from './data-source-options.js';
import { DatabaseHealth } from './database-health.js';
import { checkSqliteFiles } from './sqlite-files.js';
import { commitSyncFor } from './wal-sync.js';
import { WriteQueue } from './write-queue.js';

@Global()
@Module({})
export class DatabaseModule {
  /**
   * Pending migrations run while the data source initialises, so every provider that depends on
   * it (key service, audit) sees the current schema before the first request.
   */
  static forRoot(schema: SchemaParts): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            // Here and not in the connection factory, which TypeORM retries: a refusal is final.
            if (!config.DATABASE_URL) checkSqliteFiles(config.databasePath);
            return { ...dataSourceOptions(config, schema), migrationsRun: config.DATABASE_MIGRATE_ON_START };
          },
        }),
      ],
      providers: [
        {
          provide: WriteQueue,
          inject: [DataSource, AppConfig],
          useFactory: (ds: DataSource, config: AppConfig) =>
            new WriteQueue(ds, commitSyncFor(ds, { synchronous: config.DATABASE_SYNCHRONOUS, log: (m) => new Logger('Database').error(m) })),
        },
        DatabaseHealth,
      ],
      exports: [WriteQueue, DatabaseHealth],
    };
  }
}
