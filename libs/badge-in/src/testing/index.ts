/**
 * Test helpers for badge-in. Import as `@acs/badge-in/testing` in jest (the benchmarks import the
 * file by its path).
 */
import type { BadgeInService } from '../badge-in.service.js';

export interface InFlight {
  /** Resolves once every attempt seen so far has finished its actions (unlock, follow-ups, LED). */
  settled(): Promise<void>;
  /** Stops watching. */
  stop(): void;
}

/**
 * Watches the service's `badge` events from now on, so a test can wait for the attempts in flight
 * before it stops the controllers they unlock (the service itself waits for them only at shutdown).
 */
export function watchAttempts(service: BadgeInService): InFlight {
  const pending = new Set<Promise<void>>();
  const onBadge = ({ done }: { done: Promise<void> }): void => {
    pending.add(done);
    void done.finally(() => pending.delete(done)).catch(() => undefined);
  };
  service.on('badge', onBadge);
  return {
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    stop: () => void service.off('badge', onBadge),
  };
}
