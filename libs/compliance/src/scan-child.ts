/**
 * Entry of the child process that scans the SQLite files after an erasure (scan-process.ts starts
 * it; never imported). The scan must not run in the server: closing any descriptor of a file
 * drops every POSIX lock the process holds on it, SQLite's own included
 * (sqlite.org/howtocorrupt.html, section 2.2), after which the next other process to open the
 * database believes it is alone and deletes the live WAL. Locks belong to a process, so a child
 * that opens and closes the files leaves the server's locks alone.
 *
 * Protocol (IPC, advanced serialisation): one request `{ files, needles }` in, one reply
 * `{ ok: true, results }` or `{ ok: false, error }` out, then exit. The needles are personal data:
 * they travel over the IPC pipe only, never in arguments or the environment, and are never printed.
 */
import type { FileScan } from './scan-paths.js';
import { scanFilesAsync } from './scan.js';

interface ScanRequest {
  files: Array<{ label: string; path: string }>;
  needles: Uint8Array[];
}
export type ScanReply = { ok: true; results: FileScan[] } | { ok: false; error: string };

const reply = (message: ScanReply, code: number) => {
  if (!process.send) process.exit(2);
  process.send(message, undefined, undefined, () => process.exit(code));
};

// The parent gone (killed, or it gave up waiting): stop scanning, nobody will read the answer.
process.once('disconnect', () => process.exit(0));
process.once('message', (request: ScanRequest) => {
  const needles = request.needles.map((n) => Buffer.from(n.buffer, n.byteOffset, n.byteLength));
  scanFilesAsync(request.files, needles).then(
    (results) => reply({ ok: true, results }, 0),
    // An fs error names a file and an errno, never a needle.
    (err: unknown) => reply({ ok: false, error: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`.slice(0, 300) }, 1),
  );
});
