import { COMMON_PASSWORDS } from './common-passwords.js';

/**
 * What a new password must satisfy (NIST SP 800-63B §3.1.1.2 and the OWASP Authentication Cheat
 * Sheet): a minimum length, a maximum long enough for passphrases (Argon2 takes any length; the
 * cap only bounds the work one request can cause), no composition rules, and not a known common
 * password. Length counts Unicode code points after NFC, so an accented letter counts once.
 */
export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

export type PasswordRefusal = 'password.too_short' | 'password.too_long' | 'password.common' | 'password.same_as_username';

export const MAX_PASSWORD_LENGTH = 256;

export function checkPassword(password: string, policy: PasswordPolicy, username?: string): PasswordRefusal | null {
  const normalised = password.normalize('NFC');
  const length = [...normalised].length;
  if (length < policy.minLength) return 'password.too_short';
  if (length > policy.maxLength) return 'password.too_long';
  const lower = normalised.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'password.common';
  if (username !== undefined && lower.includes(username.toLowerCase())) return 'password.same_as_username';
  return null;
}
