import { describe, expect, it } from '@jest/globals';
import { authMessage, waitFor } from './auth-messages';

const problem = (code: string, extra: Record<string, unknown> = {}) => ({ title: 't', status: 400, code, ...extra });

describe('sign-in messages', () => {
  it.each([
    [900, '15 minutes'],
    [61, '2 minutes'],
    [60, '1 minute'],
    [40, '40 seconds'],
    [1, '1 second'],
    [undefined, 'a while'],
    [-3, 'a while'],
  ])('says a wait of %p as %p', (seconds, words) => {
    expect(waitFor(seconds)).toBe(words);
  });

  it('names the lock-out time from retryAfterSeconds', () => {
    expect(authMessage(problem('auth.account_locked', { retryAfterSeconds: 900 }))).toBe('Too many failed attempts for this account. Try again in 15 minutes.');
  });

  it('says the password minimum the server sent', () => {
    expect(authMessage(problem('password.too_short', { minLength: 12 }))).toBe('The new password must have at least 12 characters.');
  });

  it('leaves other problems to their own detail', () => {
    expect(authMessage(problem('auth.unauthenticated'))).toBeNull();
  });
});
