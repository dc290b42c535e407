import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer tokens carry 256 random bits. Stored only as SHA-256: with that much entropy a slow
 * password hash adds nothing, and a fast hash keeps every request's lookup cheap.
 */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
