import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** A database file other local users could read or change: the start is refused. */
export class DatabaseFileError extends Error {
  override name = 'DatabaseFileError';
}

/** The SQLite file and its WAL and shared-memory companions. */
export function sqliteFileSet(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

const inMemory = (path: string) => path === ':memory:' || path.startsWith('file::memory:');

/**
 * Before SQLite opens the database: the folder is created for the service user alone (0700), and
 * existing files that group or others may read or write are refused, as the master key file is.
 * The access history and the audit trail are personal data; a 0644 file is readable by every
 * local account. Only stat and mkdir here: no descriptor of the database is opened (see
 * docs/sqlite-posix-locks.md).
 */
export function checkSqliteFiles(path: string): void {
  if (inMemory(path)) return;
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const file of sqliteFileSet(path)) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new DatabaseFileError(
        `database file ${file} is accessible to other users (mode ${mode.toString(8)}); run chmod 600 on it (and on its -wal and -shm files)`,
      );
    }
  }
}

/**
 * After SQLite opened the database: owner-only modes. SQLite creates a new database file 0644 less
 * the umask, and the -wal and -shm files with the mode of the database file
 * (sqlite.org/compile.html#default_file_permissions, os_unix.c findCreateFileMode), so fixing the
 * database file once also fixes every WAL created later. chmod takes no descriptor.
 */
export function restrictSqliteFiles(path: string): void {
  if (inMemory(path)) return;
  for (const file of sqliteFileSet(path)) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}
