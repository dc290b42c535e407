import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Clock } from '@acs/clock';
import type { AppConfig } from '@acs/config';
import { readChainHeads } from '@acs/compliance';
import { nativeSqlite, type WriteQueue } from '@acs/database';
import { type BackupManifest, DUMP_FILE, BackupError, sha256File, writeManifest } from './manifest.js';
import { pgDump } from './pg-tools.js';
import { copySqlite, type PagesPerStep } from './sqlite-copy.js';

export interface BackupSource {
  ds: DataSource;
  writes: WriteQueue;
  clock: Clock;
  config: AppConfig;
}

/** The newest migration applied: the schema version a dump needs. */
export async function schemaVersion(ds: DataSource): Promise<string | null> {
  const rows = (await ds.query('SELECT name FROM migrations ORDER BY "timestamp" DESC, id DESC LIMIT 1')) as Array<{ name: string }>;
  return rows[0]?.name ?? null;
}

/** A new or empty folder for one backup, owner-only (a dump is personal data). */
function prepareFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (readdirSync(dir).length > 0) throw new BackupError(`${dir} is not empty: give each backup a folder of its own`);
  chmodSync(dir, 0o700);
}

/**
 * One online, consistent backup of the database into `dir`: the dump, then `manifest.json` (time,
 * schema version, chain heads, SHA-256 of the dump). The master key ring is never part of it.
 *
 * SQLite: the chain heads are read and the copy made while holding the write queue, so no write
 * of this process is half-done on the shared connection during a backup step (a step while the
 * source connection is inside a write transaction fails with SQLITE_LOCKED, sqlite.org/c3ref/
 * backup_finish.html) and the heads are exactly those of the copy as far as this process goes;
 * writes wait for the copy, reads do not. PostgreSQL: the heads are read, then pg_dump takes its
 * own snapshot; the dump holds at least those heads.
 */
export async function takeBackup(src: BackupSource, dir: string, opts: { pagesPerStep: PagesPerStep }): Promise<BackupManifest> {
  prepareFolder(dir);
  const startedAt = src.clock.now().toISOString();
  const database = src.config.DATABASE_URL ? 'postgres' : 'sqlite';
  const file = join(dir, DUMP_FILE[database]);
  let heads;
  let schema;
  if (database === 'sqlite') {
    [heads, schema] = await src.writes.run(async () => {
      const h = await readChainHeads(src.ds);
      const s = await schemaVersion(src.ds);
      await copySqlite(nativeSqlite(src.ds), file, opts.pagesPerStep);
      return [h, s] as const;
    });
  } else {
    heads = await readChainHeads(src.ds);
    schema = await schemaVersion(src.ds);
    await pgDump(src.config.DATABASE_URL!, file);
  }
  const { sha256, bytes } = await sha256File(file);
  const manifest: BackupManifest = {
    format: 'acs-backup',
    version: 1,
    database,
    file: DUMP_FILE[database],
    sha256,
    bytes,
    startedAt,
    finishedAt: src.clock.now().toISOString(),
    instance: src.config.INSTANCE_ID,
    schemaVersion: schema,
    heads,
    keyRing: 'not included',
  };
  writeManifest(dir, manifest);
  return manifest;
}
