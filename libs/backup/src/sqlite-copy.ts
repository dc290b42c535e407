import { chmodSync, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { BackupError } from './manifest.js';

/** Pages copied per step: a number (the event loop runs between steps), or `all` in one step. */
export type PagesPerStep = number | 'all';

/**
 * Copies the database behind `db` into the new file `dest` with SQLite's online backup API
 * (sqlite.org/backup.html), through better-sqlite3's `Database#backup`. It reads the source
 * through `db`'s own connection and opens only the destination: no descriptor of the live file is
 * opened or closed here (docs/sqlite-posix-locks.md).
 *
 * A step that finds the source changed by another connection (another process) starts the copy
 * again (sqlite3_backup_step); changes made through `db` itself are carried into the copy. With
 * `all`, one step copies every page inside one read transaction, so writers in other processes
 * cannot make it start over and over; WAL lets them go on meanwhile.
 *
 * The copy's header still says WAL (it is a copy of page 1); it is switched to a rollback
 * journal so the dump is one self-contained file that opens read-only without `-wal`/`-shm`.
 */
export async function copySqlite(db: BetterSqlite3.Database, dest: string, pagesPerStep: PagesPerStep): Promise<void> {
  if (existsSync(dest)) throw new BackupError(`${dest} exists already`);
  const rate = pagesPerStep === 'all' ? 0x7fffffff : pagesPerStep;
  await db.backup(dest, { progress: () => rate });
  const copy = new Database(dest, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  chmodSync(dest, 0o600);
}

/**
 * Whether another connection (the server, another acsctl) has the database open. In WAL mode every
 * connection keeps a shared lock on the database file while it is open, so asking for an
 * exclusive lock without waiting (busy timeout 0, `locking_mode=EXCLUSIVE`, `BEGIN EXCLUSIVE`)
 * fails with SQLITE_BUSY exactly when someone else holds it (sqlite.org/lockingv3.html,
 * sqlite.org/pragma.html#pragma_locking_mode). Locks die with their process, so unlike a flag
 * file this cannot be left stale by a SIGKILL. Meant for acsctl, which is not the server: it
 * opens the file itself.
 */
export function sqliteInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return true;
    throw err;
  } finally {
    db.close();
  }
}

/** True when the path holds no database: absent, or an empty file (SQLite's own new-database state). */
export function sqliteEmpty(path: string): boolean {
  return (!existsSync(path) || statSync(path).size === 0) && !existsSync(`${path}-wal`);
}

/**
 * Puts a dump back at `target` through SQLite (integrity check, then the backup API from the dump
 * into a temporary file beside the target, renamed over it): the target appears whole or not at
 * all. The caller has made sure nobody uses the target.
 */
export async function restoreSqliteFile(dump: string, target: string): Promise<void> {
  const src = new Database(dump, { readonly: true, fileMustExist: true });
  const tmp = `${target}.restoring-${randomBytes(4).toString('hex')}`;
  try {
    const check = src.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the dump fails SQLite's quick_check: ${String(check)}`);
    await src.backup(tmp, { progress: () => 0x7fffffff });
    chmodSync(tmp, 0o600);
    renameSync(tmp, target);
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  } finally {
    src.close();
  }
}
