import { describe, expect, it } from '@jest/globals';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

describe(AuthFailureLimiter.name, () => {
  it('blocks a key at its limit, says when the limit was reached, and leaves other keys alone', async () => {
    const l = AuthFailureLimiter.inMemory(3, 60, 'spec');
    expect(await l.recordFailure('user:a')).toBe(false);
    expect(await l.recordFailure('user:a')).toBe(false);
    expect(await l.blockedFor('user:a')).toBe(0);
    expect(await l.recordFailure('user:a')).toBe(true);
    expect(await l.blockedFor('user:a')).toBeGreaterThan(0);
    expect(await l.blockedFor('user:a')).toBeLessThanOrEqual(60);
    // further failures do not report the lock again
    expect(await l.recordFailure('user:a')).toBe(false);
    expect(await l.blockedFor('user:b')).toBe(0);
  });

  it('forgets a key on reset (a successful sign-in)', async () => {
    const l = AuthFailureLimiter.inMemory(2, 60, 'spec');
    await l.recordFailure('user:a');
    await l.reset('user:a');
    expect(await l.recordFailure('user:a')).toBe(false);
    expect(await l.blockedFor('user:a')).toBe(0);
  });

  it('keeps two limiters with different prefixes apart', async () => {
    const addresses = AuthFailureLimiter.inMemory(1, 60, 'auth-fail');
    const accounts = AuthFailureLimiter.inMemory(1, 60, 'sign-in-fail');
    await addresses.recordFailure('x');
    expect(await addresses.blockedFor('x')).toBeGreaterThan(0);
    expect(await accounts.blockedFor('x')).toBe(0);
  });
});
