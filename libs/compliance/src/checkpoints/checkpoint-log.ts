import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { payloadOf } from '@acs/crypto';
import { syncFolder } from '../certificates/evidence-files.js';
import type { CheckpointBody } from './checkpoint-compare.js';

/**
 * The checkpoint log: one compact JWS per line, appended, one file per instance and UTC day
 * (`checkpoints-<instance>-<yyyy-mm-dd>.jwsl`) so that finished days never change and can be
 * shipped off the box as they are (rsync, object storage with retention lock, syslog).
 */
const FILE = /^checkpoints-([a-z0-9-]+)-(\d{4}-\d{2}-\d{2})\.jwsl$/;

export function checkpointFileName(instance: string, at: Date): string {
  return `checkpoints-${instance}-${at.toISOString().slice(0, 10)}.jwsl`;
}

export function lineHash(jws: string): string {
  return createHash('sha256').update(jws).digest('hex');
}

/**
 * Appends one signed checkpoint durably (fdatasync of the file, and fsync of the folder for a new
 * file). Asynchronous: the sync waits on the disk (about 10 ms on a shared virtual disk) in the
 * thread pool, not on the event loop that serves badge-ins.
 */
export async function appendCheckpoint(folder: string, instance: string, at: Date, jws: string): Promise<string> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, checkpointFileName(instance, at));
  const fresh = !existsSync(path);
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(`${jws}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (fresh) syncFolder(folder);
  return path;
}

export interface LoggedCheckpoint {
  jws: string;
  /** As claimed by the line; callers verify the signature before trusting it. */
  body: CheckpointBody;
  file: string;
}

/** The last whole line: a line torn by a crash mid-append is passed over. */
function lastCheckpoint(path: string): { jws: string; body: CheckpointBody } | null {
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const jws = lines[i].trim();
    const text = jws ? payloadOf(jws) : null;
    if (!text) continue;
    try {
      return { jws, body: JSON.parse(text) as CheckpointBody };
    } catch {
      // torn or foreign line: look further back
    }
  }
  return null;
}

/** The newest checkpoint in the folder (every instance's newest file, the latest `at` wins). */
export function newestCheckpoint(folder: string, instance?: string): LoggedCheckpoint | null {
  if (!existsSync(folder)) return null;
  const newestFile = new Map<string, string>();
  for (const name of readdirSync(folder).sort()) {
    const m = FILE.exec(name);
    if (m && (instance === undefined || m[1] === instance)) newestFile.set(m[1], name);
  }
  let best: LoggedCheckpoint | null = null;
  for (const name of newestFile.values()) {
    const file = join(folder, name);
    const last = lastCheckpoint(file);
    if (last && (!best || last.body.at > best.body.at)) best = { ...last, file };
  }
  return best;
}
