import * as argon2 from 'argon2';

/**
 * Argon2id with the OWASP Password Storage Cheat Sheet's first recommended configuration: "a
 * minimum configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of
 * parallelism" (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html).
 * The binding hashes on libuv's thread pool, so the event loop (badge-ins) keeps running.
 */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password.normalize('NFC'), ARGON2_PARAMS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password.normalize('NFC'));
    } catch {
      // A stored value that is not a PHC string: treated as a mismatch, never as a 500.
      return false;
    }
  }

  /**
   * Spends the same work as a real verification when there is no account or no password, so the
   * response time does not tell an attacker which usernames exist.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= argon2.hash('dummy password for timing', ARGON2_PARAMS);
    await this.verify(await this.dummy, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_PARAMS);
  }
}
