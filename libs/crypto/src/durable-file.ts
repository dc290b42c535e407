import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface DurableWriteOptions {
  /** Mode of the new file; key files are 0600. */
  mode?: number;
  /**
   * Create the file only if it does not exist yet (EEXIST otherwise), like open(2) with O_EXCL:
   * two processes starting on an empty data folder must not each create a different key file.
   * The temporary file is then hard-linked to the name (link(2) fails on an existing name, where
   * rename(2) would replace it), so the exclusive create is as atomic and durable as the replace.
   */
  exclusive?: boolean;
}

/**
 * Replaces a key file so that after a power cut it is either the old file or the new one, whole:
 * write a temporary file, fsync it, rename it over the old one, fsync the folder (the rename is
 * durable only once the directory entry is on disk; rename(2) and fsync(2) in POSIX, and
 * SQLite's own "atomic commit" page describes the same sequence). Losing the master key ring
 * makes every encrypted record unreadable, so the plain write-then-rename is not enough.
 *
 * The temporary name is unique per call so that two writers never share (and truncate) one, and
 * it is removed when anything fails before it takes the file's name: a failed write leaves the old
 * file as it was and nothing beside it.
 */
export function writeFileDurably(path: string, data: string, { mode = 0o600, exclusive = false }: DurableWriteOptions = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (exclusive) {
      linkSync(tmp, path);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed: nothing to clean.
    }
    throw err;
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
