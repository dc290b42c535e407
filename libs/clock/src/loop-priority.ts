import { performance } from 'node:perf_hooks';

/** Longest a piece of deferrable work waits for the doors. */
export const MAX_WAIT_MS = 20;

/**
 * A door attempt counts as in flight for at most this long: an unlock that waits for an
 * offline controller (seconds) must not hold the rest of the server back for as long.
 */
export const MAX_HOLD_MS = 30;

/**
 * Doors first on the one event loop this server has.
 *
 * Node runs ready callbacks in arrival order, so a badge-in whose Search reply arrives while
 * twenty sign-ins, a name search and an export are being served waits behind all of them at every
 * hop (decision, append, command, broker): the badge-in's latency becomes the sum of whatever else
 * was ready. No library reorders a process's macrotasks, and worker threads cannot take the
 * HTTP stack with its shared SQLite connection. What can be done is to not *start* deferrable
 * work while door work is in flight: HTTP requests at the door of the stack, continuations after a
 * password hash, the next chunk of an export. They wait until the door work is done, or at most
 * {@link MAX_WAIT_MS}, so nothing starves when the doors are busy without pause.
 *
 * One per process (the event loop is the process's), so a module-level instance: every app
 * and every lib in the process shares it, which is what sharing the loop means.
 */
export class LoopPriority {
  private urgent = 0;
  /** In arrival order, so deadlines are in order too. */
  private readonly waiters: Array<{ resolve: () => void; until: number }> = [];
  private wake: NodeJS.Timeout | undefined;
  private releasing = false;

  constructor(
    private readonly maxWaitMs = MAX_WAIT_MS,
    private readonly maxHoldMs = MAX_HOLD_MS,
  ) {}

  /** Door work in flight now. */
  get busy(): boolean {
    return this.urgent > 0;
  }

  /** Work waiting for the doors (tests). */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Door work begins; call the returned function when it ends (more than once is harmless). It
   * ends by itself after maxHoldMs.
   */
  begin(): () => void {
    this.urgent++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(hold);
      if (--this.urgent === 0) this.release();
    };
    const hold = setTimeout(end, this.maxHoldMs);
    // A pending hold never keeps a process (a test, acsctl) alive.
    hold.unref();
    return end;
  }

  /**
   * Undefined when no door work is in flight and nothing waits (the caller goes on at once,
   * without a microtask); otherwise a promise that resolves when the doors are done, or after
   * maxWaitMs, behind the work that was waiting already.
   */
  yieldToDoors(): Promise<void> | undefined {
    if (this.urgent === 0 && this.waiters.length === 0) return undefined;
    return new Promise((resolve) => {
      this.waiters.push({ resolve, until: performance.now() + this.maxWaitMs });
      if (this.urgent === 0) this.release();
      else this.armWake();
    });
  }

  /**
   * One waiter per turn of the loop, not all at once: twenty requests let go together would run
   * back to back, and a door arriving meanwhile would wait for all twenty. Between two, the loop
   * polls its sockets, so a new Search reply or acknowledgement gets in first, and the release
   * pauses for its door work (waiters past their deadline still go, one per turn).
   */
  private release(): void {
    if (this.releasing) return;
    this.releasing = true;
    setImmediate(() => this.releaseOne());
  }

  private releaseOne(): void {
    const first = this.waiters[0];
    if (first && (this.urgent === 0 || first.until <= performance.now())) {
      this.waiters.shift();
      first.resolve();
    }
    if (this.waiters.length > 0 && (this.urgent === 0 || this.waiters[0].until <= performance.now())) {
      setImmediate(() => this.releaseOne());
      return;
    }
    this.releasing = false;
    if (this.waiters.length > 0) this.armWake();
  }

  /** A timer for the oldest waiter's deadline, while door work holds the rest. */
  private armWake(): void {
    if (this.wake || this.waiters.length === 0) return;
    this.wake = setTimeout(
      () => {
        this.wake = undefined;
        this.release();
      },
      Math.max(0, this.waiters[0].until - performance.now()),
    );
    this.wake.unref();
  }
}

/** The process's instance (see the class comment for why there is one). */
export const doorsFirst = new LoopPriority();
