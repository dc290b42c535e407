import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

/**
 * Which database the end-to-end suite runs on. The app never reads this: it only sees
 * DATABASE_URL, which the test support passes like any other setting.
 */
export const ON_POSTGRES = process.env.ACS_TEST_DATABASE === 'postgres';

const ADMIN_URL = process.env.ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Set by the global setup for one run, so its teardown (drop-databases.mjs) drops what a test left behind and nothing of other runs. */
const RUN_PREFIX = `acs_e2e_${process.env.ACS_TEST_PG_RUN ?? 'x'}_`;
/** The database of a data folder is named in a file inside it: restarts over the same folder find it again. */
const MARKER = '.pg-database';

async function admin<T>(work: (c: DataSource) => Promise<T>): Promise<T> {
  const c = new DataSource({ type: 'postgres', url: ADMIN_URL, applicationName: 'acs-e2e-admin', poolSize: 1 });
  await c.initialize();
  try {
    return await work(c);
  } finally {
    await c.destroy();
  }
}

export function urlOf(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The database settings for a server on `dir`: none on SQLite (the file lives in the folder);
 * on PostgreSQL a fresh database, created on first use of the folder and reused afterwards.
 */
export async function databaseEnvFor(dir: string): Promise<Record<string, string>> {
  if (!ON_POSTGRES) return {};
  const marker = join(dir, MARKER);
  if (existsSync(marker)) return { DATABASE_URL: urlOf(readFileSync(marker, 'utf8').trim()) };
  const name = `${RUN_PREFIX}${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  writeFileSync(marker, name);
  return { DATABASE_URL: urlOf(name) };
}

/** Drops the folder's database (if any), even with sessions still open. */
export async function dropDatabaseFor(dir: string): Promise<void> {
  const marker = join(dir, MARKER);
  if (!ON_POSTGRES || !existsSync(marker)) return;
  const name = readFileSync(marker, 'utf8').trim();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A client on the folder's database, for tests that look at the stored rows as an outside tool would. */
export async function clientFor(dir: string): Promise<DataSource> {
  const { DATABASE_URL } = await databaseEnvFor(dir);
  const c = new DataSource({ type: 'postgres', url: DATABASE_URL, applicationName: 'acs-e2e-probe', poolSize: 2 });
  await c.initialize();
  return c;
}
