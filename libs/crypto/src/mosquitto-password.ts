import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

// Mosquitto 2.x password-file hash ($7$ = PBKDF2-HMAC-SHA512, mosquitto_passwd's default of
// 101 iterations, 12-byte salt, 64-byte key, both base64). Storing broker passwords in this
// form lets the embedded broker verify them and `acsctl mqtt:acl` emit a Mosquitto password
// file, without the server ever keeping the plaintext.
const DEFAULT_ITERATIONS = 101;

export function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(12), iterations = DEFAULT_ITERATIONS): string {
  const key = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function verifyMosquittoPassword(password: string, hash: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[3], 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), Number(m[1]), expected.length, 'sha512');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
