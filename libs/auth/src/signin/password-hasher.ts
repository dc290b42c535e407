import { availableParallelism } from 'node:os';
import { Semaphore } from 'async-mutex';
import * as argon2 from 'argon2';

/**
 * Argon2id above the OWASP Password Storage Cheat Sheet's minimums ("a minimum configuration of
 * 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism", or 46 MiB with 1
 * iteration; https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html):
 * 46 MiB and 2 iterations, so a verification costs 50-250 ms on the servers this runs on (the
 * issue's bound; measured by `npm run bench -- badge-in`). Costlier for an attacker with a stolen
 * table than either minimum, and still cheap enough for a person signing in.
 */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 47_104, timeCost: 2, parallelism: 1 } as const;

/**
 * The binding hashes on libuv's thread pool, off the event loop, but a hash is pure CPU: four
 * pool threads hashing at once on a two-core server starve the event loop of its core, and
 * badge-ins wait (measured: badge-in p99 8 -> 103 ms with 20 sign-ins in flight). At most
 * cores - 1 hashes run at once; the rest of a sign-in burst queues here, where a person waits a
 * little longer and no door does.
 */
const HASH_SLOTS = Math.max(1, availableParallelism() - 1);

export class PasswordHasher {
  private dummy: Promise<string> | undefined;
  private readonly slots = new Semaphore(HASH_SLOTS);

  hash(password: string): Promise<string> {
    return this.slots.runExclusive(() => argon2.hash(password.normalize('NFC'), ARGON2_PARAMS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.runExclusive(() => argon2.verify(hash, password.normalize('NFC')));
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
    this.dummy ??= this.hash('dummy password for timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_PARAMS);
  }
}
