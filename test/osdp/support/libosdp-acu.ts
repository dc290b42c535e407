import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildLibosdpProgram, REPO_ROOT, type LibosdpToolchain } from './libosdp-peer.js';

/**
 * libosdp as the ACU (its "CP" mode) on a serial path, driven and observed through
 * ../libosdp-cp/cp-harness.c: it polls the PDs at the given addresses, sets up the secure channel
 * (with the SCBK-D install path when a PD refuses the key) and prints what it receives. As with
 * the PD peer, libosdp itself is never in this repository: LIBOSDP_DIR points at a build.
 */
export interface LibosdpAcuOptions {
  tty: string;
  addresses: number[];
  baudRate?: number;
  /** The key libosdp uses, and sets with KEYSET on a PD that only takes SCBK-D. */
  scbk?: Buffer;
  enforceSecure?: boolean;
  /** libosdp's log level on stderr (0..7); default 4 (warning). */
  logLevel?: number;
}

export class LibosdpAcu {
  readonly lines: string[] = [];
  private waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void; timer: NodeJS.Timeout }> = [];
  private stderrTail = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
      const waiter = this.waiters.find((w) => w.test(line));
      if (!waiter) return;
      this.waiters = this.waiters.filter((w) => w !== waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (process.env.LIBOSDP_PEER_VERBOSE === '1') process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
  }

  static async start(tc: LibosdpToolchain, options: LibosdpAcuOptions): Promise<LibosdpAcu> {
    const binary = await buildLibosdpProgram(tc, join(REPO_ROOT, 'test', 'osdp', 'libosdp-cp', 'cp-harness.c'), 'cp-harness');
    const args = ['--tty', options.tty, '--baud', String(options.baudRate ?? 115200), '--log-level', String(options.logLevel ?? 4)];
    for (const a of options.addresses) args.push('--address', String(a));
    if (options.scbk) args.push('--scbk', options.scbk.toString('hex'));
    if (options.enforceSecure) args.push('--enforce-secure');
    const acu = new LibosdpAcu(spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    await acu.waitForLine(/^ready /, 5000);
    return acu;
  }

  /** The first printed line (past or future) that matches and was not returned before. */
  waitForLine(match: RegExp, timeoutMs = 5000): Promise<string> {
    const seen = this.lines.findIndex((l) => match.test(l));
    if (seen >= 0) return Promise.resolve(this.lines.splice(seen, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`libosdp-acu: no line matching ${String(match)} within ${timeoutMs} ms; saw:\n${this.lines.join('\n')}\nstderr:\n${this.stderrTail}`));
      }, timeoutMs);
      this.waiters.push({
        test: (l) => match.test(l),
        resolve: (l) => {
          this.lines.splice(this.lines.lastIndexOf(l), 1);
          resolve(l);
        },
        timer,
      });
    });
  }

  control(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await gone;
  }
}

/** FNV-1a 32 as the harness prints it, to compare card data without printing it. */
export function fnv1a(bytes: Uint8Array): string {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}
