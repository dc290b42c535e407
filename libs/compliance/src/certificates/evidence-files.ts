import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a file so that after a crash it is either absent or whole: temp file, fsync, rename,
 * fsync of the folder (rename durability on ext4/xfs needs the directory synced). Evidence files
 * only, never the database's.
 */
export function writeDurably(folder: string, name: string, content: string): string {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, name);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncFolder(folder);
  return path;
}

export function syncFolder(folder: string): void {
  const dir = openSync(folder, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export const CERTIFICATE_FILE = /^erasure-certificate-([0-9a-f-]{36})\.jws$/;

export function certificateFileName(id: string): string {
  return `erasure-certificate-${id}.jws`;
}

/** Every certificate file in the folder, by certificate id (an absent folder holds none). */
export function listCertificateFiles(folder: string): Array<{ id: string; path: string }> {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((name) => ({ m: CERTIFICATE_FILE.exec(name), name }))
    .filter((f) => f.m !== null)
    .map((f) => ({ id: f.m![1], path: join(folder, f.name) }));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
