import { setTimeout as sleep } from 'node:timers/promises';
import type { ReaderLibraryService } from '@acs/reader-fleet';

/**
 * Resolves when no outbox op is pending on the given readers (all when omitted) and no plan is
 * running or scheduled; rejects after `timeoutMs`. Observes the library through its public
 * queries, so production code carries no waiting loop for tests.
 */
export async function librarySettled(library: ReaderLibraryService, readerIds?: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await library.afterPlan();
    const pending = await library.pendingOps(readerIds);
    if (pending === 0 && !library.planPending) return;
    if (Date.now() > deadline) throw new Error(`${pending} reader operation(s) still pending after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Resolves with the ops' final states once none is pending, or rejects after `timeoutMs`. */
export async function opsDone(library: ReaderLibraryService, opIds: string[], timeoutMs = 30_000, pollMs = 50): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await library.opStates(opIds);
    const pending = Object.values(states).filter((s) => s === 'pending').length;
    if (pending === 0) return states;
    if (Date.now() > deadline) throw new Error(`${pending} reader operation(s) still pending after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}
