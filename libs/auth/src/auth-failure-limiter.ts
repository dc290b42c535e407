import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';

/** Table of the shared failure counters (migration AuthFailuresHttpHardening1795690000000). */
export const AUTH_FAILURE_TABLE = 'auth_failure';

/**
 * Counts failed authentications per client address. Only failures cost points, and the guard asks
 * only when a request brought no valid token: a busy but honest terminal is never throttled, and
 * a token-guessing client behind the same proxy cannot lock the valid ones out.
 */
export class AuthFailureLimiter {
  constructor(
    readonly limit: number,
    private readonly limiter: RateLimiterAbstract,
  ) {}

  /** One process (SQLite: there is only ever one instance): counters in memory. */
  static inMemory(limit: number, windowSeconds: number, keyPrefix = 'auth-fail'): AuthFailureLimiter {
    return new AuthFailureLimiter(limit, new RateLimiterMemory({ points: limit, duration: windowSeconds, keyPrefix }));
  }

  /**
   * Several instances behind one load balancer: counters in PostgreSQL so a guesser spreading
   * requests over the instances meets the same limit. The table comes from a migration; should
   * the database fail, counting goes on in memory rather than refusing or waving everyone through.
   */
  static shared(limit: number, windowSeconds: number, dataSource: DataSource, keyPrefix = 'auth-fail'): AuthFailureLimiter {
    const limiter = new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      tableName: AUTH_FAILURE_TABLE,
      tableCreated: true,
      points: limit,
      duration: windowSeconds,
      keyPrefix,
      insuranceLimiter: new RateLimiterMemory({ points: limit, duration: windowSeconds, keyPrefix }),
    });
    return new AuthFailureLimiter(limit, limiter);
  }

  /** Seconds to wait when the address is blocked, otherwise 0. */
  async blockedFor(address: string): Promise<number> {
    const res = await this.limiter.get(keyOf(address));
    return res !== null && res.consumedPoints >= this.limit ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
  }

  /** Counts one failure; true when this one reached the limit (the key is blocked from now on). */
  async recordFailure(address: string): Promise<boolean> {
    try {
      const res = await this.limiter.consume(keyOf(address));
      return res.consumedPoints === this.limit;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return false;
    }
  }

  /** Forgets the key's failures (a successful sign-in clears its account's count). */
  async reset(address: string): Promise<void> {
    await this.limiter.delete(keyOf(address));
  }
}

// A client address (or a username) is personal data: the shared table holds only a digest of it.
function keyOf(address: string): string {
  return createHash('sha256').update(address).digest('base64url').slice(0, 22);
}
