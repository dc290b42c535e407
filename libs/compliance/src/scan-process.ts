import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileScan } from './scan-paths.js';
import type { ScanReply } from './scan-child.js';

/**
 * Where the compiled child entry is. Built (dist/), it sits beside this file. Run from the
 * TypeScript sources (Jest), Node 20 cannot start a .ts file, so the child runs from the build of
 * the same source, which the end-to-end global setup keeps current (test/support/build-dist.mjs).
 */
export function scanChildEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'scan-child.js');
  return join(resolve(dirname(here), '../../..'), 'dist/libs/compliance/src/scan-child.js');
}

/**
 * The byte scan of `scanFiles`, run in a child process so that no descriptor of the database
 * files is ever opened or closed in this one (see scan-child.ts for why). It also leaves the
 * server's event loop and the badge-in decisions alone while gigabytes are read.
 */
export function scanFilesInChild(
  files: Array<{ label: string; path: string }>,
  needles: readonly Buffer[],
  opts: { timeoutMs?: number } = {},
): Promise<FileScan[]> {
  const entry = scanChildEntry();
  if (!existsSync(entry)) return Promise.reject(new Error(`the scan process is not built (${entry}); run npm run build`));
  return new Promise<FileScan[]>((resolvePromise, reject) => {
    const child = fork(entry, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let answer: ScanReply | undefined;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 2000) stderr += s;
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('message', (m: ScanReply) => {
      answer = m;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolvePromise(answer.results);
      else if (answer) reject(new Error(`the scan process failed: ${answer.error}`));
      else reject(new Error(`the scan process ended without an answer (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`));
    });
    child.send({ files, needles: needles.map((n) => new Uint8Array(n.buffer, n.byteOffset, n.byteLength)) });
  });
}
