import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig, processEnv } from '@acs/config';
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

/**
 * The local PostgreSQL cluster these machines run (127.0.0.1:5432, trust authentication);
 * ACS_TEST_PG_ADMIN_URL points tests elsewhere.
 */
export const PG_ADMIN_URL = processEnv().ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayPostgres {
  name: string;
  /** Connection URL of the new, empty database. */
  url: string;
  /** Drops it, whoever is still connected. */
  drop(): Promise<void>;
}

/** An empty database of its own on the local cluster, for one spec. */
export async function createPostgresDatabase(prefix: string): Promise<ThrowawayPostgres> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: PG_ADMIN_URL });
  await admin.initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    name,
    url: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
    drop: async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.destroy();
      }
    },
  };
}
