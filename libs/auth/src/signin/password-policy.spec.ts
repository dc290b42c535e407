import { describe, expect, it } from '@jest/globals';
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

  it('hashes with Argon2id at 46 MiB and 2 iterations (above both OWASP minimums) and verifies only the right password', async () => {
    const h = await hasher.hash('violet staple orbit canyon');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=47104,p=1,t=2\$/);
    expect(await hasher.verify(h, 'violet staple orbit canyon')).toBe(true);
    expect(await hasher.verify(h, 'violet staple orbit canyoN')).toBe(false);
    expect(hasher.needsRehash(h)).toBe(false);
  });

  it('treats a stored value that is not a hash as a mismatch', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toBe(false);
    expect(await hasher.verifyDummy('anything')).toBe(false);
  });
});
