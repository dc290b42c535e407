import { AsyncResource } from 'node:async_hooks';

export interface BatcherOptions<T, R> {
  /** Flush as soon as this many items wait. */
  maxBatch: number;
  /**
   * Longest an item waits for company before its batch is flushed. 0: no waiting for company
   * (group commit): an idle batcher writes at the next turn of the event loop (setImmediate, so
   * everything pushed by the I/O callbacks of the same turn joins), and whatever arrives while a
   * batch is being written forms the next one.
   */
  maxDelayMs: number;
  /**
   * Writes one batch; returns one result per item, in order, an {@link ItemFailure} for an item
   * that alone failed. Rejecting fails the whole batch.
   */
  flush: (items: T[]) => Promise<Array<R | ItemFailure>>;
  /** Told about a failed batch (the callers' promises reject as well). */
  onError?: (err: unknown, size: number) => void;
}

/** A flush result for one item that failed while the rest of its batch was written. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups items that arrive close together into one write. `push` returns at once; its promise
 * settles when the item's batch is written (or fails). One batch is written at a time; items
 * arriving meanwhile form the next, so a burst is absorbed in a few large commits instead of one
 * commit per item.
 *
 * Timers are started in the async context of the batcher's creation, not the caller's: a push
 * from inside a write-queue transaction must not make the later flush look re-entrant to the
 * queue (it would then bypass the queue's lock).
 */
export class Batcher<T, R> {
  private pending: Array<Pending<T, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private writing = 0;
  private readonly scope = new AsyncResource('access-log.batcher');

  constructor(private readonly opts: BatcherOptions<T, R>) {}

  /** Items pushed and not yet settled (waiting for a batch or being written). */
  get waiting(): number {
    return this.pending.length + this.writing;
  }

  push(item: T): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => this.pending.push({ item, resolve, reject }));
    // The caller may never await (fire and forget); a failed batch must not become an
    // unhandled rejection that stops the process. Callers that await still see the error.
    promise.catch(() => undefined);
    this.schedule();
    return promise;
  }

  /** Resolves when everything pushed so far has been written or has failed. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else this.startFlush();
    }
  }

  private schedule(): void {
    if (this.inFlight) return; // the running flush picks the rest up when it ends
    if (this.immediate) return; // a flush is due at this turn of the loop already
    if (this.opts.maxDelayMs <= 0 || this.pending.length >= this.opts.maxBatch) {
      this.clearTimer();
      this.flushSoon();
    } else if (!this.timer) {
      this.timer = this.scope.runInAsyncScope(() => setTimeout(() => this.startFlush(), this.opts.maxDelayMs));
    }
  }

  /**
   * Not synchronously: items pushed in the same turn join this batch. setImmediate rather than
   * setTimeout(0), which waits at least 1 ms (Node clamps it), and after the I/O callbacks of this
   * turn (a burst of replies read together is one batch).
   */
  private flushSoon(): void {
    this.immediate = this.scope.runInAsyncScope(() =>
      setImmediate(() => {
        this.immediate = undefined;
        this.startFlush();
      }),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private startFlush(): void {
    this.clearTimer();
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.maxBatch);
    this.writing = batch.length;
    this.inFlight = this.scope
      .runInAsyncScope(() => this.write(batch))
      .finally(() => {
        this.inFlight = undefined;
        this.writing = 0;
        // Whatever arrived during the write has waited long enough already.
        if (this.pending.length > 0 && !this.immediate) this.flushSoon();
      });
  }

  private async write(batch: Array<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.opts.flush(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new Error(`flush returned ${results.length} results for ${batch.length} items`);
      batch.forEach((p, i) => {
        const r = results[i];
        if (r instanceof ItemFailure) p.reject(r.error);
        else p.resolve(r);
      });
    } catch (err) {
      this.opts.onError?.(err, batch.length);
      for (const p of batch) p.reject(err);
    }
  }
}
