import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import {
  BackupError,
  type BackupManifest,
  pgRestore,
  pgTargetState,
  readManifest,
  restoreSqliteFile,
  sha256File,
  sqliteEmpty,
  sqliteInUse,
  takeBackup,
} from '@acs/backup';
import { SystemClock } from '@acs/clock';
import { hashesAt, readChainHeads } from '@acs/compliance';
import type { AppConfig } from '@acs/config';
import { checkSqliteFiles, dataSourceOptions, WriteQueue } from '@acs/database';
import { SCHEMA } from '@acs/schema';
import { checkpointCheck } from './checkpoint-commands.js';
import { certificateChecks } from './compliance-commands.js';
import { CliModule } from './cli.module.js';
import { CliError, type Out } from './out.js';

const KEY_RING_NOTE = 'The master key ring is NOT in the backup (by design): back it up apart, and the signing key ring with it.';

/**
 * `acsctl backup --to DIR`: an online backup while the server runs, through one connection of
 * this process for the command's life. SQLite is copied by SQLite's backup API in one step (one
 * read transaction: the server's writes in WAL go on and cannot make it start over);
 * PostgreSQL by pg_dump -Fc. Then the manifest.
 */
export async function backupCommand(config: AppConfig, out: Out, opts: { to: string; json?: boolean }): Promise<void> {
  if (!config.DATABASE_URL) checkSqliteFiles(config.databasePath);
  const ds = new DataSource(dataSourceOptions(config, SCHEMA));
  await ds.initialize();
  let manifest: BackupManifest;
  try {
    manifest = await takeBackup({ ds, writes: new WriteQueue(ds), clock: new SystemClock(), config }, resolve(opts.to), { pagesPerStep: 'all' });
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  } finally {
    await ds.destroy();
  }
  if (opts.json) {
    out.json({ dir: resolve(opts.to), manifest });
    return;
  }
  const chains = Object.keys(manifest.heads.history).length;
  out.line(
    `Backup of the ${manifest.database} database written to ${resolve(opts.to)} (${manifest.file}, ${manifest.bytes} bytes, sha256 ${manifest.sha256}).`,
  );
  out.line(`Schema ${manifest.schemaVersion ?? '(none)'}; audit head ${manifest.heads.audit?.seq ?? '-'}; ${chains} access-history chain head(s) recorded.`);
  out.line(KEY_RING_NOTE);
}

/** The backup folder's manifest with its dump's checksum verified; a mismatch is refused. */
async function verifiedManifest(dir: string): Promise<BackupManifest> {
  const manifest = readManifest(dir);
  const dump = join(dir, manifest.file);
  if (!existsSync(dump)) throw new BackupError(`${dump} is missing`);
  const { sha256 } = await sha256File(dump);
  if (sha256 !== manifest.sha256)
    throw new BackupError(
      `checksum mismatch: ${dump} has sha256 ${sha256}, the manifest says ${manifest.sha256}; the dump is damaged or not this backup's. Refused.`,
    );
  return manifest;
}

/**
 * Refuses a target that a server may be using or that holds data. SQLite: a connection of another
 * process holds a lock on the file (see sqliteInUse), or the file holds a database. PostgreSQL:
 * another session is connected to the database, or it has tables.
 */
async function checkTarget(config: AppConfig, manifest: BackupManifest): Promise<void> {
  const want = config.DATABASE_URL ? 'postgres' : 'sqlite';
  if (manifest.database !== want) throw new BackupError(`this is a ${manifest.database} backup, the configuration selects ${want}`);
  if (!config.MASTER_KEY && !existsSync(config.masterKeyFile))
    throw new BackupError(`no master key ring at ${config.masterKeyFile}: put back the key ring the backup was taken with first (backups never hold it)`);
  if (want === 'sqlite') {
    const path = config.databasePath;
    if (sqliteInUse(path))
      throw new BackupError(`${path} is in use by another process (a running server?): stop it first; restore works on a stopped data folder`);
    if (!sqliteEmpty(path))
      throw new BackupError(`${path} holds a database: restore into a stopped, empty data folder (move acs.sqlite, -wal and -shm aside first)`);
    return;
  }
  const state = await pgTargetState(config.DATABASE_URL!);
  if (state.otherSessions.length > 0)
    throw new BackupError(
      `${state.otherSessions.length} other session(s) are connected to the database (${[...new Set(state.otherSessions)].join(', ')}): stop the servers first`,
    );
  if (state.tables > 0) throw new BackupError(`the database has ${state.tables} table(s): restore into an empty database (CREATE DATABASE … first)`);
}

/**
 * `acsctl restore --from DIR`: checks the manifest and the dump's checksum, refuses a target in
 * use or not empty, puts the dump back through SQLite (or pg_restore), then compares the restored
 * database with the manifest, the checkpoint log and the signed certificates, and says what to do.
 */
export async function restoreCommand(config: AppConfig, out: Out, opts: { from: string; json?: boolean }): Promise<boolean> {
  const dir = resolve(opts.from);
  let manifest: BackupManifest;
  try {
    manifest = await verifiedManifest(dir);
    await checkTarget(config, manifest);
    if (manifest.database === 'sqlite') {
      checkSqliteFiles(config.databasePath);
      await restoreSqliteFile(join(dir, manifest.file), config.databasePath);
    } else await pgRestore(config.DATABASE_URL!, join(dir, manifest.file));
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  }
  return report(config, out, manifest, dir, opts);
}

/** What the restored database holds and lacks, with the next steps; one application context for all of it. */
async function report(config: AppConfig, out: Out, manifest: BackupManifest, dir: string, opts: { json?: boolean }): Promise<boolean> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const ds = app.get(DataSource);
    // The dump must hold every entry the manifest names, with the same hashes.
    const positions = [
      ...(manifest.heads.audit ? [{ chain: 'audit', seq: manifest.heads.audit.seq, hash: manifest.heads.audit.hash }] : []),
      ...Object.entries(manifest.heads.history).map(([chain, h]) => ({ chain, seq: h.seq, hash: h.hash })),
    ];
    const stored = await hashesAt(ds, positions);
    const missing = positions.filter((p) => stored.get(`${p.chain}#${p.seq}`) !== p.hash).map((p) => `${p.chain}#${p.seq}`);
    const heads = await app.get(WriteQueue).run(() => readChainHeads(ds));
    const cp = await checkpointCheck(app, config, () => true);
    const certificates = (await certificateChecks(app, config)).filter((c) => c.problems.length > 0);
    const undone = certificates.filter((c) => c.stillErased === false);
    const next: string[] = [];
    if (undone.length > 0) next.push('start the server, then run `acsctl purge:reapply` (the server erases again and certifies it) and `acsctl purge:verify`');
    if (!cp.ok) next.push('read the checkpoint findings above; once the loss of newer history and audit entries is understood, run `acsctl checkpoint:accept`');
    next.push('run `acsctl audit:verify` and `acsctl history:verify`');
    if (manifest.database === 'sqlite') next.push('start the server (its files are mode 0600 already)');
    else next.push('start the servers (one first when migrations are pending)');
    const ok = missing.length === 0;
    if (opts.json) {
      out.json({ dir, manifest, restored: ok, missingFromManifest: missing, heads, checkpoint: cp.json, certificates, nextSteps: next });
      return ok;
    }
    out.line(`Restored the ${manifest.database} backup of ${manifest.startedAt} (schema ${manifest.schemaVersion ?? '-'}, checksum verified) from ${dir}.`);
    if (ok)
      out.line(
        `It holds every entry its manifest names: audit head ${manifest.heads.audit?.seq ?? '-'}, ${positions.length - (manifest.heads.audit ? 1 : 0)} history chain(s).`,
      );
    else out.line(`It LACKS entries its manifest names: ${missing.join(', ')}; do not go live with it.`);
    for (const l of cp.lines) out.line(l);
    if (certificates.length === 0) out.line('Erasure certificates: nothing erased has come back.');
    for (const c of certificates) out.line(`Certificate ${c.certificate} (${c.kind}, customer ${c.customerId}): ${c.problems.join('; ')}`);
    out.line(KEY_RING_NOTE);
    out.line('Next:');
    next.forEach((n, i) => out.line(`  ${i + 1}. ${n}`));
    return ok;
  } finally {
    await app.close();
  }
}
