/**
 * Runs one benchmark file in a child process under a deadline.
 *
 * A child process, not a timer in the same one: a benchmark that hangs on a promise that can
 * never settle may sit idle for ever, and one that blocks its event loop (a long synchronous
 * insert, a native call) would not even let an in-process timer fire. Killing the child always
 * works, and the next benchmark starts in a fresh process, without the listeners, servers and
 * module state a failed one left behind.
 */
import { fork } from 'node:child_process';
import type { Figure } from './harness.js';

/** Child → parent. */
export type ChildMessage =
  | { type: 'start'; name: string; deadlineMs: number }
  | { type: 'log'; message: string }
  | { type: 'done'; figures: Figure[] }
  | { type: 'failed'; error: string }
  | { type: 'resources'; resources: string[] };

/** Parent → child: the deadline passed; answer with the live handles, then expect SIGKILL. */
export type ParentMessage = { type: 'deadline' };

export interface IsolatedRun {
  /** The benchmark's name once the child reported it, else the file. */
  name: string;
  figures?: Figure[];
  /** Why there are no figures: the benchmark's error, a deadline, or a crash. */
  error?: string;
  timedOut: boolean;
  ms: number;
}

export interface IsolateOptions {
  /** The script forked (the compiled child entry), and its arguments. */
  entry: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Label until the child names its benchmark. */
  label: string;
  /** Deadline while the child loads its benchmark, before it reports the benchmark's own. */
  startDeadlineMs?: number;
  /** How long the child gets to list its live handles at the deadline. */
  answerMs?: number;
  onStart?: (name: string) => void;
  onLog?: (message: string) => void;
}

/** "TCPServerWrap ×11, Timeout ×1" from process.getActiveResourcesInfo(). */
export function summariseResources(resources: readonly string[]): string {
  if (resources.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()].map(([r, n]) => (n === 1 ? r : `${r} ×${n}`)).join(', ');
}

export function runIsolated(opts: IsolateOptions): Promise<IsolatedRun> {
  const started = performance.now();
  const answerMs = opts.answerMs ?? 3000;
  return new Promise<IsolatedRun>((resolve) => {
    const child = fork(opts.entry, opts.args, { env: opts.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let name = opts.label;
    let deadlineMs = opts.startDeadlineMs ?? 120_000;
    let lastLog: string | undefined;
    let outcome: { figures?: Figure[]; error?: string; timedOut: boolean } | undefined;
    let answered: ((resources: string[]) => void) | undefined;

    const expire = async (): Promise<void> => {
      const phase = lastLog === undefined ? 'before its first progress line' : `after "${lastLog}"`;
      const resources = await new Promise<string[] | undefined>((r) => {
        const t = setTimeout(() => r(undefined), answerMs);
        answered = (res) => {
          clearTimeout(t);
          r(res);
        };
        if (child.connected) child.send({ type: 'deadline' } satisfies ParentMessage, () => undefined);
      });
      const state =
        resources === undefined
          ? `it did not answer within ${answerMs} ms: its event loop is blocked (a synchronous loop or a long native call)`
          : `its event loop still turns, live handles: ${summariseResources(resources)}` +
            (resources.includes('Timeout') || resources.includes('Immediate') ? '' : ' (no timer: a promise waits for an event that will not come)');
      outcome ??= {
        timedOut: true,
        error: `did not finish within its deadline of ${Math.round(deadlineMs / 1000)} s (BENCH_DEADLINE_S overrides); stopped ${phase}; ${state}`,
      };
      child.kill('SIGKILL');
    };
    let timer = setTimeout(() => void expire(), deadlineMs);

    child.on('message', (m: ChildMessage) => {
      switch (m.type) {
        case 'start':
          name = m.name;
          deadlineMs = m.deadlineMs;
          opts.onStart?.(m.name);
          clearTimeout(timer);
          timer = setTimeout(() => void expire(), deadlineMs);
          return;
        case 'log':
          lastLog = m.message;
          opts.onLog?.(m.message);
          return;
        case 'done':
          outcome ??= { figures: m.figures, timedOut: false };
          return;
        case 'failed':
          outcome ??= { error: m.error, timedOut: false };
          return;
        case 'resources':
          answered?.(m.resources);
          return;
      }
    });
    child.on('error', (err) => {
      outcome ??= { error: `could not run: ${err.message}`, timedOut: false };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const ended = signal ? `signal ${signal}` : `exit code ${code}`;
      const o = outcome ?? { error: `the process ended (${ended}) without reporting figures`, timedOut: false };
      resolve({ name, ...o, ms });
    });
  });
}
