import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces a key file so that after a power cut it is either the old file or the new one, whole:
 * write a temporary file, fsync it, rename it over the old one, fsync the folder (the rename is
 * durable only once the directory entry is on disk; rename(2) and fsync(2) in POSIX, and
 * SQLite's own "atomic commit" page describes the same sequence). Losing the master key ring
 * makes every encrypted record unreadable, so the plain write-then-rename is not enough.
 */
export function writeFileDurably(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
