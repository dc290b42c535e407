import { getPriority } from 'node:os';
import { afterAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import { checkPassword, type PasswordRefusal } from './password-policy.js';
import { PasswordHasher } from './password-hasher.js';

const policy = { minLength: 12, maxLength: 64 };

describe(checkPassword.name, () => {
  it.each<[string, string, string | undefined, PasswordRefusal | null]>([
    ['eleven code points', 'abcdefghijk', undefined, 'password.too_short'],
    ['twelve code points', 'correct hors', undefined, null],
    ['length counts code points, not UTF-16 units', '🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑', undefined, 'password.too_short'],
    ['a decomposed accent counts once after NFC', 'cafe\u0301cafe\u0301caf', undefined, 'password.too_short'],
    ['above the maximum', 'x'.repeat(65), undefined, 'password.too_long'],
    ['exactly the maximum', 'y'.repeat(64), undefined, null],
    ['a common password long enough to pass the length', 'motherfucker', undefined, 'password.common'],
    ['a listed password in another case', 'MotherFucker', undefined, 'password.common'],
    ['containing the username', 'desk-officer-2 rules', 'desk-officer-2', 'password.same_as_username'],
    ['a passphrase', 'violet staple orbit canyon', 'desk-officer-2', null],
  ])('%s', (_name, password, username, expected) => {
    expect(checkPassword(password, policy, username)).toBe(expected);
  });

  it('refuses a listed password whatever its case, when the minimum allows its length', () => {
    const short = { minLength: 8, maxLength: 64 };
    expect(checkPassword('Password1', short)).toBe('password.common');
    expect(checkPassword('BASEBALL', short)).toBe('password.common');
    expect(checkPassword('baseball!', short)).toBeNull();
  });
});

describe(PasswordHasher.name, () => {
  const hasher = new PasswordHasher();
  afterAll(() => hasher.onModuleDestroy());

  it('hashes with Argon2id at 64 MiB and 3 iterations (above both OWASP minimums) and verifies only the right password', async () => {
    const h = await hasher.hash('violet staple orbit canyon');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    expect(await hasher.verify(h, 'violet staple orbit canyon')).toBe(true);
    expect(await hasher.verify(h, 'violet staple orbit canyoN')).toBe(false);
    expect(hasher.needsRehash(h)).toBe(false);
  });

  it('verifies hashes stored by the argon2 binding used before, and asks for a rehash of weaker ones', async () => {
    // What sign-ins stored before (46 MiB x 2, the argon2 binding's field order m,p,t).
    const stored = await argon2.hash('violet staple orbit canyon', { type: argon2.argon2id, memoryCost: 47_104, timeCost: 2, parallelism: 1 });
    expect(await hasher.verify(stored, 'violet staple orbit canyon')).toBe(true);
    expect(await hasher.verify(stored, 'violet staple orbit')).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(true);
    const same = await argon2.hash('violet staple orbit canyon', { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 1 });
    expect(await hasher.verify(same, 'violet staple orbit canyon')).toBe(true);
    expect(hasher.needsRehash(same)).toBe(false);
    expect(hasher.needsRehash(await argon2.hash('x', { type: argon2.argon2i, memoryCost: 65_536, timeCost: 3, parallelism: 1 }))).toBe(true);
    expect(hasher.needsRehash('not-a-hash')).toBe(true);
  });

  it('hashes on threads at the lowest CPU priority (Linux), never lowering the event loop', async () => {
    const before = getPriority();
    expect(await hasher.threadPriorities()).toEqual(expect.arrayContaining([19]));
    expect((await hasher.threadPriorities()).every((p) => p === 19)).toBe(true);
    expect(getPriority()).toBe(before);
  });

  it('runs a burst of hashes to the end, each verifying its own password', async () => {
    const words = Array.from({ length: 6 }, (_, i) => `burst password number ${i}`);
    const hashes = await Promise.all(words.map((w) => hasher.hash(w)));
    expect(new Set(hashes).size).toBe(6);
    expect(await Promise.all(hashes.map((h, i) => hasher.verify(h, words[i])))).toEqual(words.map(() => true));
    expect(await hasher.verify(hashes[0], words[1])).toBe(false);
  });

  it('treats a stored value that is not a hash as a mismatch', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toBe(false);
    expect(await hasher.verifyDummy('anything')).toBe(false);
  });
});
