import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import type { AppConfig } from '@acs/config';
import { RecentCredentials } from './recent-credentials.js';
import type { Principal } from './roles.js';

const IDLE_MINUTES = 15;
const staff = (staffId: string, tokenId: string): Principal => ({ kind: 'staff', staffId, tokenId, role: 'security' });

function setup() {
  const clock = new FakeClock(Date.parse('2026-12-03T10:00:00Z'));
  const recent = new RecentCredentials(clock, { SESSION_IDLE_MINUTES: IDLE_MINUTES } as AppConfig);
  return { clock, recent };
}

describe(RecentCredentials.name, () => {
  it('recalls a staff credential for the idle timeout after its last check, never past its own end', () => {
    const { clock, recent } = setup();
    recent.remember('token-a', staff('s1', 't1'), clock.nowMs() + 60 * 60_000);
    recent.remember('token-b', staff('s2', 't2'), clock.nowMs() + 5 * 60_000);
    expect(recent.recall('token-a')?.principal).toMatchObject({ staffId: 's1' });
    clock.advance(5 * 60_000);
    expect(recent.recall('token-b')).toBeNull();
    expect(recent.recall('token-a')).not.toBeNull();
    clock.advance(IDLE_MINUTES * 60_000);
    expect(recent.recall('token-a')).toBeNull();
  });

  it('never remembers a customer principal (nothing a customer may do works while degraded)', () => {
    const { clock, recent } = setup();
    recent.remember('cust', { kind: 'customer', tokenId: 't', customerId: 'c1' }, clock.nowMs() + 60_000);
    expect(recent.recall('cust')).toBeNull();
  });

  it.each([
    ['one token', { tokenId: 't1' }, [false, true, true]],
    ['one session', { sessionId: 'sess-3' }, [true, true, false]],
    ['an account', { staffId: 's1' }, [false, true, false]],
  ] as const)('forgets what a revocation of %s ends, and nothing else', (_what, where, kept) => {
    const { clock, recent } = setup();
    const until = clock.nowMs() + 60 * 60_000;
    recent.remember('token-1', staff('s1', 't1'), until);
    recent.remember('token-2', staff('s2', 't2'), until);
    recent.remember('cookie-3', { ...staff('s1', 'sess-3'), sessionId: 'sess-3' }, until, { id: 'sess-3' } as never);
    recent.forget(where);
    expect(['token-1', 'token-2', 'cookie-3'].map((c) => recent.recall(c) !== null)).toEqual(kept);
  });

  it('keys on a hash: a different credential of the same length recalls nothing', () => {
    const { clock, recent } = setup();
    recent.remember('acs_aaaa', staff('s1', 't1'), clock.nowMs() + 60_000);
    expect(recent.recall('acs_aaab')).toBeNull();
    recent.forgetCredential('acs_aaaa');
    expect(recent.recall('acs_aaaa')).toBeNull();
  });
});
