import { availableParallelism } from 'node:os';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { parseOptions } from '@node-rs/argon2';
import { doorsFirst } from '@acs/clock';
import { HashThreads, type HashOptions } from './hash-threads.js';

/**
 * Argon2id above the OWASP Password Storage Cheat Sheet's minimums ("a minimum configuration of
 * 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism", or 46 MiB with 1
 * iteration; https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html):
 * 64 MiB and 3 iterations, so that a verification costs 50-250 ms on the servers this runs on
 * (the bound; `npm run bench -- badge-in-load` reports it). RustCrypto's implementation
 * is several times faster than the reference C the `argon2` binding compiles (27 against 330 ms
 * at the earlier 46 MiB x 2 on one machine), so the same time buys more memory and passes: costlier
 * for an attacker with a stolen table, still cheap for a person signing in. Hashes made with the
 * earlier parameters verify and are replaced at the next sign-in (needsRehash).
 */
export const ARGON2_PARAMS: HashOptions = { algorithm: 2, memoryCost: 65_536, timeCost: 3, parallelism: 1 };

/** Version 0x13 (RFC 9106), the binding's Version.V0x13 const enum. */
const ARGON2_VERSION_13 = 1;

/**
 * At most cores - 1 hashes run at once, each on a thread at the lowest priority (hash-threads.ts):
 * a burst of sign-ins queues here, where a person waits a little longer and no door does.
 */
const HASH_SLOTS = Math.max(1, availableParallelism() - 1);

@Injectable()
export class PasswordHasher implements OnModuleDestroy {
  private dummy: Promise<string> | undefined;
  private readonly threads = new HashThreads(HASH_SLOTS);

  async hash(password: string): Promise<string> {
    const hashed = await this.threads.hash(password.normalize('NFC'), ARGON2_PARAMS);
    await doorsFirst.yieldToDoors();
    return hashed;
  }

  /**
   * The sign-in's work after its hash (session, audit entry, answer) waits for any door being
   * opened at that moment: a hash ends at a random time, the next badge-in should not queue behind it.
   */
  async verify(hash: string, password: string): Promise<boolean> {
    let ok: boolean;
    try {
      ok = await this.threads.verify(hash, password.normalize('NFC'));
    } catch {
      // A stored value that is not a PHC string: treated as a mismatch, never as a 500.
      ok = false;
    }
    await doorsFirst.yieldToDoors();
    return ok;
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

  /** A hash made with other parameters (older, weaker) is replaced at the next sign-in. */
  needsRehash(hash: string): boolean {
    try {
      const o = parseOptions(hash);
      return (
        o.algorithm !== ARGON2_PARAMS.algorithm ||
        o.version !== ARGON2_VERSION_13 ||
        o.memoryCost !== ARGON2_PARAMS.memoryCost ||
        o.timeCost !== ARGON2_PARAMS.timeCost ||
        o.parallelism !== ARGON2_PARAMS.parallelism
      );
    } catch {
      return true;
    }
  }

  /** The hashing threads' nice values (19 on Linux). */
  threadPriorities(): Promise<number[]> {
    return this.threads.priorities();
  }

  async onModuleDestroy(): Promise<void> {
    await this.threads.close();
  }
}
