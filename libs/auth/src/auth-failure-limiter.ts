import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Counts failed authentications per client address. Successful requests cost nothing, so a
 * busy but honest terminal is never throttled; a token-guessing client is, for the window.
 */
export class AuthFailureLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly limit: number, windowSeconds: number) {
    this.limiter = new RateLimiterMemory({ points: limit, duration: windowSeconds, keyPrefix: 'auth-fail' });
  }

  /** Seconds to wait when the address is blocked, otherwise 0. */
  async blockedFor(address: string): Promise<number> {
    const res = await this.limiter.get(address);
    return res !== null && res.consumedPoints >= this.limit ? Math.ceil(res.msBeforeNext / 1000) : 0;
  }

  async recordFailure(address: string): Promise<void> {
    try {
      await this.limiter.consume(address);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
    }
  }
}
