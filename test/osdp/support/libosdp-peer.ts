import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findSocat, PtyPair } from '../../fingerprint/socat-pty.js';

/**
 * libosdp (github.com/goToMain/libosdp, the public OSDP implementation) as the PDs on a pty bus,
 * for testing the product's ACU against someone else's reading of OSDP v2.2. libosdp itself is
 * never in this repository: a developer or CI builds it by libosdp's own README and points
 * LIBOSDP_DIR at the result (README §Interoperability with libosdp). This helper only compiles
 * our harness (../libosdp-pd/pd-harness.c) against it, caches the binary, and runs it.
 */

const execFileAsync = promisify(execFile);

/** The repository root: the first folder above this file holding package.json (also from dist/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('libosdp-peer: cannot find the repository root');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
/** The repository root, for the other libosdp harnesses' sources. */
export const REPO_ROOT = ROOT;
const HARNESS_SOURCE = join(ROOT, 'test', 'osdp', 'libosdp-pd', 'pd-harness.c');

export interface LibosdpToolchain {
  /** Folder holding libosdp.so (linked by path, with an rpath so no LD_LIBRARY_PATH is needed). */
  libDir: string;
  libFile: string;
  /** Folder holding osdp.h and osdp_export.h. */
  includeDir: string;
  gcc: string;
  socat: string;
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function findGcc(): string | undefined {
  const probe = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'gcc' : undefined;
}

/**
 * What the libosdp peer needs, or why it cannot run: a sentence naming the missing piece, for a
 * test to print before it skips. LIBOSDP_DIR may be an install prefix (lib/, include/libosdp/)
 * or a folder with libosdp.so and include/ side by side.
 */
export function findLibosdpToolchain(env: NodeJS.ProcessEnv = process.env): LibosdpToolchain | string {
  const dir = env.LIBOSDP_DIR;
  if (!dir) return 'LIBOSDP_DIR is not set (build libosdp as README.md §Interoperability with libosdp says, then set it)';
  const root = resolve(dir);
  const libFile = firstExisting(['', 'lib', 'lib64', 'build/lib'].map((sub) => join(root, sub, 'libosdp.so')));
  if (!libFile) return `no libosdp.so in ${root} (nor in its lib/, lib64/ or build/lib/)`;
  const header = firstExisting(['include', 'include/libosdp'].map((sub) => join(root, sub, 'osdp.h')));
  if (!header) return `no osdp.h in ${root}/include or ${root}/include/libosdp`;
  const gcc = findGcc();
  if (!gcc) return 'gcc is not installed (needed to compile the libosdp PD harness)';
  const socat = findSocat();
  if (!socat) return 'socat is not installed (needed for the pseudo-terminal bus)';
  return { libDir: dirname(libFile), libFile, includeDir: dirname(header), gcc, socat };
}

/**
 * The harness binary for this harness source and this libosdp build, compiled once into
 * test-output/libosdp-peer/<hash>/ (the hash covers both, so a rebuilt libosdp or an edited
 * harness gets a fresh binary).
 */
export async function buildHarness(tc: LibosdpToolchain): Promise<string> {
  return buildLibosdpProgram(tc, HARNESS_SOURCE, 'pd-harness');
}

/** Compiles one of our C harnesses (`source`, under test/osdp/) against libosdp, cached as above. */
export async function buildLibosdpProgram(tc: LibosdpToolchain, source: string, name: string): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(source)).update(readFileSync(tc.libFile)).digest('hex').slice(0, 16);
  const dir = join(ROOT, 'test-output', 'libosdp-peer', hash);
  const binary = join(dir, name);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed, so a concurrent run never executes a half-written binary.
  const partial = `${binary}.${process.pid}.tmp`;
  const args = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', `-I${tc.includeDir}`, source, '-o', partial];
  args.push(`-L${tc.libDir}`, `-Wl,-rpath,${tc.libDir}`, '-losdp');
  try {
    await execFileAsync(tc.gcc, args, { timeout: 60_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`libosdp-peer: gcc could not build ${name} against ${tc.libFile}:\n${stderr}`, { cause: err });
  }
  renameSync(partial, binary);
  return binary;
}

export interface PeerPd {
  address: number;
  /** 16-byte SCBK for this PD; overrides LibosdpPeerOptions.scbk. */
  scbk?: Buffer;
  /** Install mode for this PD: SCBK-D accepted (libosdp also enters it when no key is given). */
  installMode?: boolean;
}

export interface LibosdpPeerOptions {
  pds: (number | PeerPd)[];
  baudRate?: number;
  /** SCBK for every PD without its own. None: libosdp starts the PDs in install mode. */
  scbk?: Buffer;
  installMode?: boolean;
  /** libosdp's OSDP_FLAG_ENFORCE_SECURE: only ID, CAP and the SC handshake in plain; no SCBK-D. */
  enforceSecure?: boolean;
  /** libosdp's log level on the harness's stderr (0 emergency .. 7 debug); default 4 (warning). */
  logLevel?: number;
}

type Matcher = string | RegExp | ((line: string) => boolean);

interface Waiter {
  test: (line: string) => boolean;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function toTest(match: Matcher): (line: string) => boolean {
  if (typeof match === 'function') return match;
  if (typeof match === 'string') return (line) => line.startsWith(match);
  return (line) => match.test(line);
}

/**
 * A running harness. `acuPath` is the pty end the product's ACU opens; control lines go to the
 * harness's stdin; every line it prints is kept and can be awaited. A printed line satisfies at
 * most one wait, so two waits for `led 1` need two LED commands. libosdp's own log (the harness's
 * stderr) is kept for error messages; LIBOSDP_PEER_VERBOSE=1 also copies it to the test's stderr.
 */
export class LibosdpPeer {
  /** Every line the harness printed, in order. */
  readonly lines: string[] = [];
  private readonly claimed = new Set<number>();
  private waiters: Waiter[] = [];
  private stderrTail = '';
  private exited?: string;
  private libVersion = '';

  private constructor(
    readonly acuPath: string,
    private child: ChildProcessWithoutNullStreams,
    private readonly pty: PtyPair,
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  static async start(tc: LibosdpToolchain, options: LibosdpPeerOptions): Promise<LibosdpPeer> {
    const binary = await buildHarness(tc);
    const dir = mkdtempSync(join(tmpdir(), 'libosdp-peer-'));
    const pty = new PtyPair(tc.socat, join(dir, 'pd'), join(dir, 'acu'));
    await pty.start();
    const child = spawn(binary, harnessArgs(pty.devicePath, options), { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new LibosdpPeer(pty.hostPath, child, pty, dir, binary);
    peer.attach();
    try {
      await peer.awaitReady();
    } catch (err) {
      await peer.stop();
      throw err;
    }
    return peer;
  }

  private async awaitReady(): Promise<void> {
    const ready = await this.waitForLine('ready ', 5000);
    this.libVersion = /version=(\S+)/.exec(ready)?.[1] ?? '';
  }

  /**
   * Kills the harness alone (SIGKILL, mid-poll as a power cut would), leaving the pty's ACU end
   * where it is when socat keeps it: the PDs fall silent rather than the cable being pulled.
   */
  async killHarness(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await gone;
  }

  /**
   * Starts the harness again on the same pty path (socat restarted on the same links if it went
   * away with the harness), with these options: a PD given a key by KEYSET keeps it only if the
   * test passes it here, as a real reader would keep it in its flash.
   */
  async restartHarness(options: LibosdpPeerOptions): Promise<void> {
    await this.killHarness();
    if (!existsSync(this.pty.devicePath) || !existsSync(this.pty.hostPath)) {
      await this.pty.stop();
      await this.pty.start();
    }
    this.exited = undefined;
    this.child = spawn(this.binary, harnessArgs(this.pty.devicePath, options), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.attach();
    await this.awaitReady();
  }

  /** libosdp's version as the library reports it (osdp_get_version). */
  get version(): string {
    return this.libVersion;
  }

  private attach(): void {
    const child = this.child;
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.stderr.on('data', (chunk: Buffer) => {
      if (process.env.LIBOSDP_PEER_VERBOSE === '1') process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      this.exited = `pd-harness exited (${signal ?? code})`;
      const err = this.failure(this.exited);
      for (const w of this.waiters) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      this.waiters = [];
    });
  }

  private failure(message: string): Error {
    return new Error(this.stderrTail ? `${message}; harness stderr:\n${this.stderrTail}` : message);
  }

  private onLine(line: string): void {
    const index = this.lines.push(line) - 1;
    const waiter = this.waiters.find((w) => w.test(line));
    if (!waiter) return;
    this.claimed.add(index);
    this.waiters = this.waiters.filter((w) => w !== waiter);
    clearTimeout(waiter.timer);
    waiter.resolve(line);
  }

  /** The first unclaimed printed line (past or future) that matches; a string matches as a prefix. */
  waitForLine(match: Matcher, timeoutMs = 3000): Promise<string> {
    const test = toTest(match);
    const index = this.lines.findIndex((line, i) => !this.claimed.has(i) && test(line));
    if (index >= 0) {
      this.claimed.add(index);
      return Promise.resolve(this.lines[index]);
    }
    if (this.exited) return Promise.reject(this.failure(this.exited));
    return new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(this.failure(`libosdp-peer: no line matching ${String(match)} within ${timeoutMs} ms; saw:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      this.waiters.push({ test, resolve: resolvePromise, reject, timer });
    });
  }

  /** Sends a control line (see pd-harness.c) and resolves with its "ok ..." answer; "err ..." rejects. */
  async control(line: string): Promise<string> {
    const answer = this.waitForLine((l) => l.startsWith('ok ') || l.startsWith('err '));
    this.child.stdin.write(`${line}\n`);
    const reply = await answer;
    if (reply.startsWith('err ')) throw new Error(`libosdp-peer: "${line.split(' ')[0]}" refused: ${reply}`);
    return reply;
  }

  presentCard(address: number, format: 'raw' | 'wiegand', data: Buffer, bits: number): Promise<string> {
    return this.control(`card ${address} ${format} ${data.toString('hex')} ${bits}`);
  }

  typeKeys(address: number, keys: string): Promise<string> {
    return this.control(`keys ${address} ${keys}`);
  }

  setTamper(address: number, on: boolean): Promise<string> {
    return this.control(`tamper ${address} ${on ? 'on' : 'off'}`);
  }

  /** Kills the harness and socat (the ACU's end vanishes as an unplugged cable would). */
  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      await gone;
    }
    await this.pty.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function harnessArgs(devicePath: string, options: LibosdpPeerOptions): string[] {
  const args = ['--tty', devicePath, '--baud', String(options.baudRate ?? 115200)];
  for (const pd of options.pds) {
    const p: PeerPd = typeof pd === 'number' ? { address: pd } : pd;
    let spec = String(p.address);
    if (p.scbk) spec += `:${hexKey(p.scbk)}`;
    else if (p.installMode) spec += ':install';
    args.push('--address', spec);
  }
  if (options.scbk) args.push('--scbk', hexKey(options.scbk));
  if (options.installMode) args.push('--install-mode');
  if (options.enforceSecure) args.push('--enforce-secure');
  args.push('--log-level', String(options.logLevel ?? 4));
  return args;
}

function hexKey(key: Buffer): string {
  if (key.length !== 16) throw new RangeError('an SCBK is 16 bytes (OSDP v2.2 Annex D)');
  return key.toString('hex');
}
