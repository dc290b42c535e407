import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';
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

  /**
   * `commitSync`: on SQLite with synchronous=FULL, the commits of each write sync off the event
   * loop ({@link WalSync}); a write resolves only once it is on stable storage, as before.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly commitSync?: CommitSync,
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
    const priority = opts.urgent ? URGENT : 0;
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
    if (this.waitObservers.size === 0) return this.mutex.runExclusive(() => this.inside.run(true, task), priority);
    const queuedAt = performance.now();
    return this.mutex.runExclusive(() => {
      const waited = performance.now() - queuedAt;
      for (const o of this.waitObservers) o(waited);
      return this.inside.run(true, task);
    }, priority);
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
