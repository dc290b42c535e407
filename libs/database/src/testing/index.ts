import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '@acs/config';
import { dataSourceOptions, type SchemaParts } from '../data-source-options.js';
import { runMigrations } from '../migrate.js';
import { WriteQueue } from '../write-queue.js';

export interface TestDatabase {
  dir: string;
  config: AppConfig;
  dataSource: DataSource;
  writes: WriteQueue;
  close(): Promise<void>;
}

/** A migrated SQLite file in a fresh temp folder, as the server would have it. */
export async function createTestDatabase(schema: SchemaParts, env: Record<string, string> = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'acs-db-'));
  const config = loadConfig({ DATA_DIR: dir, ...env });
  const dataSource = new DataSource(dataSourceOptions(config, schema));
  await dataSource.initialize();
  await runMigrations(dataSource);
  return {
    dir,
    config,
    dataSource,
    writes: new WriteQueue(dataSource),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
