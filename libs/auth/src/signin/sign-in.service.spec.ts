import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@acs/config';
import { AuthFailureLimiter } from '../auth-failure-limiter.js';
import type { SecurityEventSink } from '../security-event.sink.js';
import type { PasswordHasher } from './password-hasher.js';
import type { PasskeyService } from './passkey.service.js';
import type { PasswordService } from './password.service.js';
import { AccountLockout, SignInService } from './sign-in.service.js';
import type { TotpService } from './totp.service.js';

const ACCOUNTS: Record<string, { id: string; username: string; role: string; disabledAt: number | null; hash: string | null }> = {
  alice: { id: 's-alice', username: 'alice', role: 'security', disabledAt: null, hash: 'H(alice)' },
  bob: { id: 's-bob', username: 'bob', role: 'security', disabledAt: 1, hash: 'H(bob)' },
  dave: { id: 's-dave', username: 'dave', role: 'auditor', disabledAt: null, hash: 'H(dave)' },
  carol: { id: 's-carol', username: 'carol', role: 'admin', disabledAt: null, hash: null },
};

/** The order of the checks and the Argon2 work each path spends, over fakes of the service's neighbours. */
function harness(opts: { addressBlocked?: boolean; passkeys?: string[]; totp?: string[] } = {}) {
  const work: string[] = [];
  const events: string[] = [];
  const dataSource = {
    getRepository: () => ({ findOne: async ({ where }: { where: { username: string } }) => ACCOUNTS[where.username] ?? null }),
  } as unknown as DataSource;
  const hasher = {
    verify: async (hash: string, pw: string) => (work.push('verify'), hash === `H(${pw})`),
    verifyDummy: async () => (work.push('dummy'), false as const),
  } as unknown as PasswordHasher;
  const passwords = {
    hashOf: async (id: string) => Object.values(ACCOUNTS).find((a) => a.id === id)?.hash ?? null,
    rehashIfNeeded: async () => undefined,
  } as unknown as PasswordService;
  const totp = { enrolled: async (id: string) => (opts.totp ?? []).includes(id) } as unknown as TotpService;
  const passkeys = { any: async (id: string) => (opts.passkeys ?? []).includes(id) } as unknown as PasskeyService;
  const sink = { authEvent: async (e: { action: string }) => void events.push(e.action) } as unknown as SecurityEventSink;
  const addresses = AuthFailureLimiter.inMemory(opts.addressBlocked ? 1 : 100, 60, `a-${Math.random()}`);
  const lockout = new AccountLockout(AuthFailureLimiter.inMemory(2, 60, `u-${Math.random()}`));
  const service = new SignInService(dataSource, loadConfig({}), addresses, lockout, hasher, passwords, totp, sink, passkeys);
  const attempt = async (username: string, password: string) => {
    try {
      const r = await service.signIn({ username, password, address: '192.0.2.1' });
      return r.state;
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  const forPasskey = async (username: string, password: string) => {
    try {
      return (await service.passwordForPasskey({ username, password, address: '192.0.2.1' })).id;
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  return { attempt, forPasskey, work, events, addresses };
}

describe(SignInService.name, () => {
  it.each<[string, string, string, string, string[]]>([
    ['the right password', 'alice', 'alice', 'totp_enrolment', ['verify']],
    ['a wrong password', 'alice', 'nope', 'auth.bad_credentials', ['verify']],
    ['an unknown username: a dummy hash, same answer', 'mallory', 'alice', 'auth.bad_credentials', ['dummy']],
    ['a disabled account: a dummy hash, same answer', 'bob', 'bob', 'auth.bad_credentials', ['dummy']],
    ['an account without a password yet', 'carol', 'carol', 'auth.bad_credentials', ['dummy']],
  ])('%s', async (_name, username, password, expected, work) => {
    const h = harness();
    expect(await h.attempt(username, password)).toBe(expected);
    expect(h.work).toEqual(work);
  });

  it('locks a username at its limit without spending a hash, reports the lock once, and leaves other usernames alone', async () => {
    const h = harness();
    await h.attempt('alice', 'x1');
    await h.attempt('alice', 'x2');
    h.work.length = 0;
    expect(await h.attempt('alice', 'alice')).toBe('auth.account_locked');
    expect(h.work).toEqual([]);
    expect(h.events).toEqual(['auth.account_locked']);
    // an unknown username locks the same way, so a lock does not reveal that an account exists
    await h.attempt('mallory', 'x1');
    await h.attempt('mallory', 'x2');
    expect(await h.attempt('mallory', 'x3')).toBe('auth.account_locked');
    expect(await h.attempt('dave', 'dave')).toBe('totp_enrolment');
    expect(await h.attempt('alice', 'alice')).toBe('auth.account_locked');
  });

  it('refuses a blocked address before any hash', async () => {
    const h = harness({ addressBlocked: true });
    await h.addresses.recordFailure('192.0.2.1');
    h.work.length = 0;
    expect(await h.attempt('alice', 'alice')).toBe('auth.rate_limited');
    expect(h.work).toEqual([]);
  });

  it.each<[string, { passkeys?: string[]; totp?: string[] }, string]>([
    ['no second factor, TOTP required: enrolment first', {}, 'totp_enrolment'],
    ['a passkey only: the passkey step is asked for', { passkeys: ['s-alice'] }, 'auth.passkey_required'],
    ['TOTP only: the code is asked for', { totp: ['s-alice'] }, 'auth.totp_required'],
    ['both: the code is asked for (the passkey is offered beside it)', { passkeys: ['s-alice'], totp: ['s-alice'] }, 'auth.totp_required'],
  ])('second factor, %s', async (_name, factors, expected) => {
    const h = harness(factors);
    expect(await h.attempt('alice', 'alice')).toBe(expected);
  });

  it('starts a passkey sign-in only after the right password, and only for an account with a passkey', async () => {
    const h = harness({ passkeys: ['s-alice'] });
    expect(await h.forPasskey('alice', 'nope')).toBe('auth.bad_credentials');
    expect(await h.forPasskey('dave', 'dave')).toBe('auth.no_passkey');
    expect(await h.forPasskey('alice', 'alice')).toBe('s-alice');
  });
});
