import { Injectable } from '@nestjs/common';
import { KeyService } from '@acs/crypto';

/** The data-key scope of a customer: destroying it erases every personal value of the customer. */
export const customerScope = (customerId: string): string => `customer:${customerId}`;
/** Device secrets (reader passwords, controller signing secrets) are not personal data. */
export const SYSTEM_SCOPE = 'system';

/**
 * Encrypts personal values under the owning customer's data key, bound to the row and column
 * they belong to (`person:<id>:name`), so a ciphertext moved elsewhere does not decrypt.
 */
@Injectable()
export class PersonalData {
  constructor(private readonly keys: KeyService) {}

  async seal(scope: string, row: string, field: string, value: string | null | undefined): Promise<string | null> {
    if (value === null || value === undefined) return null;
    return this.keys.encrypt(scope, value, `${row}:${field}`);
  }

  /** Keyed hashes of `values` under the scope's key for `purpose` (a search index); creates the key like `seal`. */
  blindIndexes(scope: string, purpose: string, values: readonly string[]): Promise<string[]> {
    return this.keys.blindIndexes(scope, purpose, values);
  }

  /** As {@link blindIndexes} for a lookup: null when the scope has no key (none yet, or shredded). */
  blindIndexesIfKeyed(scope: string, purpose: string, values: readonly string[]): Promise<string[] | null> {
    return this.keys.blindIndexesIfKeyed(scope, purpose, values);
  }

  async open(row: string, field: string, ciphertext: string | null): Promise<string | null> {
    if (ciphertext === null) return null;
    return this.keys.decryptString(ciphertext, `${row}:${field}`);
  }
}
