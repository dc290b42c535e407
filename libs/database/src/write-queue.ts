import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';
import { doorsFirst, type LoopPriority } from '@acs/clock';
import type { CommitSync } from './wal-sync.js';

export interface WriteOptions {
  /** Ahead of the ordinary writes waiting (not of the one running). */
  urgent?: boolean;
}

/** async-mutex runs waiters of higher priority first, FIFO among equals. */
const URGENT = 1;

/**
 * One FIFO for every write in the process.
 *
 * TypeORM's SQLite drivers share a single connection and query runner, so two concurrent
 * `dataSource.transaction()` calls silently nest: the second becomes a savepoint inside the first,
 * and a rollback of the first discards rows the second already reported as committed (measured:
 * docs/sqlite-durability.md §One connection: concurrent transactions nest). Serialising every write
 * through this queue makes each transaction run alone. Re-entrant calls from inside a queued task
 * run in place instead of deadlocking.
 */
export class WriteQueue {
  private readonly mutex = new Mutex();
  private readonly inside = new AsyncLocalStorage<EntityManager | true>();
  private readonly waitObservers = new Set<(waitMs: number) => void>();
  private begun = 0;

  /**
   * `commitSync`: on SQLite with synchronous=FULL, the commits of each write sync off the event
   * loop ({@link WalSync}); a write resolves only once it is on stable storage, as before.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly commitSync?: CommitSync,
    private readonly priority: LoopPriority = doorsFirst,
  ) {}

  /**
   * Runs `task` when every earlier write has finished; an `urgent` one (the access events that
   * unlock doors wait for) when the write running now has finished, ahead of ordinary writes
   * still waiting (FIFO among urgent ones). Twenty audited requests in the queue otherwise held
   * each badge-in back by twenty commits (`npm run bench -- badge-in-load`). Reordering waiting
   * writes is safe: they are separate transactions that none of them ordered by waiting.
   */
  run<T>(task: () => Promise<T>, opts: WriteOptions = {}): Promise<T> {
    if (this.inside.getStore() !== undefined) return task();
    // Doors first (loop-priority.ts in @acs/clock): an ordinary write neither starts nor hands its
    // caller back while a badge-in is being decided or its unlock is on its way (at most 20 ms).
    // The gate at the HTTP stack's entrance holds new requests only; a request already past it ran
    // its next step whenever its commit ended, so under twenty back-to-back name searches each
    // badge-in hop queued behind search steps (p50 13 ms against 2.5 idle; about 2-3 ms with this,
    // `npm run bench -- badge-in-load`). The door's own write is urgent and never waits here.
    if (opts.urgent) return this.written(task, URGENT);
    const wait = this.priority.yieldToDoors();
    return (wait ? wait.then(() => this.written(task, 0)) : this.written(task, 0)).then(async (value) => {
      await this.priority.yieldToDoors();
      return value;
    });
  }

  /** The write alone, then (SQLite, synchronous=FULL) its commit's sync. */
  private written<T>(task: () => Promise<T>, priority: number): Promise<T> {
    const sync = this.commitSync;
    if (!sync) return this.exclusive(task, priority);
    // Relaxed only while this write holds the queue; the sync after it is released, so the next
    // write runs meanwhile and commits arriving together share one sync.
    const written = this.exclusive(async () => {
      sync.relax();
      try {
        return await task();
      } finally {
        sync.restore();
      }
    }, priority);
    // Synced even when the task failed: it may have committed part of its work before failing.
    return written.then(
      async (value) => {
        await sync.sync();
        return value;
      },
      async (err: unknown) => {
        await sync.sync().catch(() => undefined);
        throw err;
      },
    );
  }

  private exclusive<T>(task: () => Promise<T>, priority: number): Promise<T> {
    if (this.waitObservers.size === 0)
      return this.mutex.runExclusive(() => {
        this.begun++;
        return this.inside.run(true, task);
      }, priority);
    const queuedAt = performance.now();
    return this.mutex.runExclusive(() => {
      this.begun++;
      const waited = performance.now() - queuedAt;
      for (const o of this.waitObservers) o(waited);
      return this.inside.run(true, task);
    }, priority);
  }

  /**
   * Writes begun through this queue so far. On SQLite every write of the process goes through it,
   * so a read taken while it was idle is still current inside a later write if this count moved
   * by that write alone (the library planner reuses its preview that way).
   */
  get writesBegun(): number {
    return this.begun;
  }

  /**
   * Reports how long each write waited for the ones before it (metrics). Observers must be cheap
   * and must not throw: they run inside the queue. Returns the unsubscribe.
   */
  observeWaits(observer: (waitMs: number) => void): () => void {
    this.waitObservers.add(observer);
    return () => this.waitObservers.delete(observer);
  }

  /** Runs `work` in its own transaction, alone. Nested calls join the outer transaction. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
    const current = this.inside.getStore();
    if (current !== undefined && current !== true) return work(current);
    return this.run(() => this.dataSource.transaction((manager) => this.inside.run(manager, () => work(manager))), opts);
  }

  /** Number of writes waiting, for metrics and back-pressure decisions. */
  get isBusy(): boolean {
    return this.mutex.isLocked();
  }
}
