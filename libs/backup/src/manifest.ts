import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainHeads } from '@acs/compliance';

/** The manifest's name inside a backup folder; written last, so a folder without it is an unfinished backup. */
export const MANIFEST_FILE = 'manifest.json';

/** The dump's name inside a backup folder, by database. */
export const DUMP_FILE = { sqlite: 'database.sqlite', postgres: 'database.pgdump' } as const;

export type BackupDatabase = keyof typeof DUMP_FILE;

/** What a backup folder holds, as `manifest.json` says it. */
export interface BackupManifest {
  format: 'acs-backup';
  version: 1;
  database: BackupDatabase;
  /** The dump file, relative to the folder. */
  file: string;
  /** SHA-256 of the dump file, hex. */
  sha256: string;
  bytes: number;
  /** When the backup began and ended (ISO 8601, the injected clock). */
  startedAt: string;
  finishedAt: string;
  /** The INSTANCE_ID that took it (acsctl: the configured one). */
  instance: string;
  /** Newest migration applied to the database: the schema the dump needs. */
  schemaVersion: string | null;
  /**
   * Heads of the audit and access-history chains read as the backup began: the dump holds at
   * least these entries (every entry acknowledged before the backup began).
   */
  heads: ChainHeads;
  /** Never in a backup: said here so nobody expects it. */
  keyRing: 'not included';
}

/** SHA-256 of a file (a dump, never the live database), streamed. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(path) as AsyncIterable<Buffer>) {
    bytes += c.length;
    hash.update(c);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Writes the manifest (0600) and syncs it: once it is there the backup is complete, so it must
 * not be the one file a power cut loses.
 */
export function writeManifest(dir: string, manifest: BackupManifest): void {
  const fd = openSync(join(dir, MANIFEST_FILE), 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class BackupError extends Error {
  override name = 'BackupError';
}

/** Reads and checks the shape of a backup folder's manifest. */
export function readManifest(dir: string): BackupManifest {
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new BackupError(`${dir} holds no ${MANIFEST_FILE}: not a backup folder, or an unfinished backup`);
  }
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new BackupError(`${join(dir, MANIFEST_FILE)} is not JSON`);
  }
  if (m.format !== 'acs-backup' || m.version !== 1) throw new BackupError(`${join(dir, MANIFEST_FILE)} is not an acs-backup manifest of version 1`);
  if (m.database !== 'sqlite' && m.database !== 'postgres') throw new BackupError('the manifest names no known database');
  if (m.file !== DUMP_FILE[m.database]) throw new BackupError(`the manifest names an unexpected dump file`);
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) throw new BackupError('the manifest carries no SHA-256 checksum');
  if (!m.heads || typeof m.heads !== 'object') throw new BackupError('the manifest carries no chain heads');
  return m as BackupManifest;
}
