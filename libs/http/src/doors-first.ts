import type { NextFunction, Request, Response } from 'express';
import { doorsFirst, type LoopPriority } from '@acs/clock';

/**
 * The first thing a request does: if a badge-in is being decided or its unlock is on its way, the
 * request waits for it (at most a few tens of milliseconds) before any of its parsing, guards or
 * queries run. A person at a door waits for nobody's page, sign-in or export; a page waits a
 * moment for a door (loop-priority.ts in @acs/clock says why this is done here and how far it goes).
 *
 * Requests already past this point are not held back: a bound on requests in flight was tried
 * (four, two) and left out, because a request that waits off the loop (a password hash, a slow
 * client) would hold its place, and the badge-in figures under twenty name searches did not
 * improve consistently with it (`npm run bench -- badge-in-load`).
 */
export function yieldToDoors(priority: LoopPriority = doorsFirst) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    const wait = priority.yieldToDoors();
    if (wait) void wait.then(() => next());
    else next();
  };
}
