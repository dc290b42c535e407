import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Password hashing on its own threads at the lowest CPU priority, so that a burst of sign-ins
 * never takes a core from the event loop that unlocks the doors.
 *
 * Why threads of our own rather than libuv's pool (where the `argon2` binding hashes): a pool
 * thread cannot be given a priority from JavaScript, and on a two-core server a hash at normal
 * priority competes with the event loop, the broker and the readers' I/O as an equal (measured:
 * badge-in p99 3.1x idle during 20 sign-ins, `npm run bench -- badge-in-load`). On Linux the nice
 * value is a per-thread attribute (setpriority(2), "BUGS": under NPTL PRIO_PROCESS with who = 0
 * names the calling thread), so each worker lowers only itself to 19 with os.setPriority, and a
 * runnable nice-0 thread (the event loop) preempts it at once (the CFS weight of nice 19 is 15
 * against 1024). Elsewhere os.setPriority(0) would lower the whole process, so it is not called.
 *
 * The hash itself must then run on the worker's own thread, synchronously: @node-rs/argon2
 * (RustCrypto's Argon2, RFC 9106) has hashSync/verifySync, and reads and writes the same PHC
 * strings as the `argon2` binding, so stored hashes keep verifying.
 *
 * The worker's code is a string (eval) rather than a file so that it runs the same from the
 * TypeScript sources under Jest and from the build: Node 20 cannot start a .ts worker, and the
 * build copies no plain .js files. It requires the binding by the absolute path resolved here.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const os = require('node:os');
if (process.platform === 'linux') {
  try { os.setPriority(19); } catch {}
}
const argon2 = require(workerData.binding);
parentPort.on('message', (m) => {
  try {
    let value;
    if (m.op === 'hash') value = argon2.hashSync(m.password, m.options);
    else if (m.op === 'verify') value = argon2.verifySync(m.hash, m.password);
    else value = os.getPriority();
    parentPort.postMessage({ id: m.id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, error: String(err && err.message || err) });
  }
});
`;

export interface HashOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** 2 = Argon2id (the binding's Algorithm const enum). */
  algorithm: 2;
}

type Job = { op: 'hash'; password: string; options: HashOptions } | { op: 'verify'; hash: string; password: string } | { op: 'priority' };

interface Pending {
  job: Job;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: (Pending & { id: number }) | null;
}

export class HashThreads {
  private readonly binding = createRequire(import.meta.url).resolve('@node-rs/argon2');
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {}

  hash(password: string, options: HashOptions): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  /** The nice value of every hashing thread (os.getPriority on the thread itself), for tests and /health. */
  async priorities(): Promise<number[]> {
    while (this.slots.length < this.size) this.spawn();
    return Promise.all(this.slots.map((s) => this.send(s, { op: 'priority' }))) as Promise<number[]>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the password hashing threads are closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private run(job: Job): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the password hashing threads are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = { ...p, id };
      // Held while it hashes (a caller waits on it), let go when idle.
      slot.worker.ref();
      slot.worker.postMessage({ id, ...p.job });
    }
  }

  /** A one-off message outside the queue (priority probe); waits for the slot's current job. */
  private send(slot: Slot, job: Job): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const onMessage = (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
        if (m.id !== id) return;
        slot.worker.off('message', onMessage);
        if (m.ok) resolve(m.value);
        else reject(new Error(m.error));
      };
      slot.worker.on('message', onMessage);
      slot.worker.postMessage({ id, ...job });
    });
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding: this.binding } });
    // Idle hashing threads never keep a process (acsctl, a test) alive.
    worker.unref();
    const slot: Slot = { worker, busy: null };
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const job = slot.busy;
      if (!job || job.id !== m.id) return;
      slot.busy = null;
      slot.worker.unref();
      if (m.ok) job.resolve(m.value);
      else job.reject(new Error(m.error));
      this.pump();
    });
    const fail = (err: Error) => {
      // A thread that died takes only its own job with it; the next job starts a new thread.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.busy?.reject(err);
      slot.busy = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a password hashing thread exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }
}
