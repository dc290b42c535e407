import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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
  // Bounded waits: a fresh-clone CI run once hung a benchmark for its whole deadline with only a
  // PostgreSQL socket open (CREATE DATABASE or the connection never answered). A refused
  // connection or a lock wait now fails the caller within a minute, saying what the cluster's
  // other sessions were waiting on.
  const admin = new DataSource({ type: 'postgres', url: PG_ADMIN_URL, connectTimeoutMS: 15_000, extra: { query_timeout: 60_000 } });
  await admin.initialize();
  try {
    await admin.query(`SET lock_timeout = '30s'`);
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.destroy().catch(() => undefined);
    // Another connection: the admin one may still be busy with the statement that timed out.
    const probe = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
    const waits = await probe
      .connect()
      .then(() =>
        probe.query(
          `SELECT pid, datname, state, wait_event_type, wait_event, left(query, 60) AS query
             FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        ),
      )
      .then(
        (r) => r.rows,
        (e: Error) => `unreadable (${e.message})`,
      );
    await probe.end().catch(() => undefined);
    throw new Error(`CREATE DATABASE ${name} failed: ${(err as Error).message}; other sessions: ${JSON.stringify(waits)}`, { cause: err });
  }
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
