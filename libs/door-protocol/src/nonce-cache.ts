import type { Clock } from '@acs/clock';

export type NonceVerdict = 'new' | 'replayed' | 'full';

/**
 * Remembers nonces of accepted messages. A nonce only needs remembering while its message could
 * still pass the freshness check, i.e. until ts + maxSkew; entries are kept for 2 x maxSkew after
 * they are seen, which covers any ts inside the window (hardware/door-protocol/README.md §Replay).
 *
 * When full of unexpired entries it answers `full` instead of evicting: evicting a live nonce
 * would reopen a replay window, so the controller fails closed (replies `busy`) instead.
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly retainMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Checks and, when new, records the nonce. */
  check(nonce: string): NonceVerdict {
    const now = this.clock.nowMs();
    this.sweep(now);
    if (this.expiries.has(nonce)) return 'replayed';
    if (this.expiries.size >= this.maxEntries) return 'full';
    // Insertion order is expiry order because the retention is constant; sweep() relies on it.
    this.expiries.set(nonce, now + this.retainMs);
    return 'new';
  }

  private sweep(now: number): void {
    for (const [nonce, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(nonce);
    }
  }
}
