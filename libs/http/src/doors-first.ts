import type { NextFunction, Request, Response } from 'express';
import { doorsFirst, type LoopPriority } from '@acs/clock';

/**
 * One new request per turn of the event loop.
 *
 * Requests that arrive together (twenty sign-in clients starting at once, a console opening six
 * panels) are parsed in one poll phase of the loop, and each runs until its first real wait:
 * middleware, guard, validation, its first queries (better-sqlite3 answers synchronously). Twenty
 * of them back to back held the loop for 40-60 ms in a CPU profile of `npm run bench --
 * badge-in-load` (its event-loop delay max during 20 sign-ins was 44-64 ms), and a Search reply
 * or an acknowledgement that arrived meanwhile waited for all of them. Here the first request of a
 * turn goes on at once (no promise, no microtask) and the others wait one turn each, in arrival
 * order, so the loop polls its sockets between two and a door's next hop gets in. When the loop
 * is otherwise idle a turn takes microseconds, so a burst is not slowed by more than that.
 *
 * Written here rather than taken from a library: the limiters on npm (p-limit, bottleneck,
 * express-rate-limit) bound concurrency or rate, not how much starts within one turn of the loop.
 */
export class TurnGate {
  private taken = false;
  private readonly queue: Array<() => void> = [];

  /** Runs `go` now if nothing entered in this turn and nobody waits, else on a later turn. */
  enter(go: () => void): void {
    if (!this.taken && this.queue.length === 0) {
      this.take();
      go();
      return;
    }
    // Taken: the check-phase callback of take() lets the queue go, one per turn.
    this.queue.push(go);
  }

  /** Requests waiting for a turn (tests). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * The turn is taken until the check phase of the loop's turn; setImmediate queued from within a
   * check phase runs in the next turn's, after that turn has polled its sockets.
   */
  private take(): void {
    this.taken = true;
    setImmediate(() => {
      this.taken = false;
      const next = this.queue.shift();
      if (!next) return;
      this.take();
      next();
    });
  }
}

/**
 * The first thing a request does: if a badge-in is being decided or its unlock is on its way, the
 * request waits for it (at most a few tens of milliseconds) before any of its parsing, guards or
 * queries run. A person at a door waits for nobody's page, sign-in or export; a page waits a
 * moment for a door (loop-priority.ts in @acs/clock says why this is done here and how far it goes).
 * Before that, requests enter one per turn of the loop (TurnGate).
 *
 * Requests already past this point are not held back: a bound on requests in flight was tried
 * (four, two) and left out, because a request that waits off the loop (a password hash, a slow
 * client) would hold its place, and the badge-in figures under twenty name searches did not
 * improve consistently with it (`npm run bench -- badge-in-load`).
 */
export function yieldToDoors(priority: LoopPriority = doorsFirst, gate = new TurnGate()) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    gate.enter(() => {
      const wait = priority.yieldToDoors();
      if (wait) void wait.then(() => next());
      else next();
    });
  };
}
