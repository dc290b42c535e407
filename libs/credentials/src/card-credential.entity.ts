import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CardState } from '@acs/access-rules';
import { epochMs } from '@acs/database';

/**
 * One card issued to a person, with its PIN. The card number is not stored: `numberHash` is its
 * blind index under the customer's key (docs/credentials.md), `hint` at most its last two decimal
 * digits. The PIN is an Argon2id hash peppered with a secret derived from the customer's key, so
 * neither can be recovered from the database alone, nor at all once the key is shredded.
 */
@Entity('card_credential')
@Index('uq_card_credential_customer_hash', ['customerId', 'numberHash'], { unique: true })
@Index('idx_card_credential_hash', ['numberHash'])
@Index('idx_card_credential_person', ['personId'])
export class CardCredentialEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'person_id', type: 'varchar', length: 36 })
  personId!: string;

  /** HMAC-SHA-256, hex. */
  @Column({ name: 'number_hash', type: 'varchar', length: 64 })
  numberHash!: string;

  /** How the reader that issued it reported the bits (`unspecified`, `wiegand`): metadata, not part of the hash. */
  @Column({ type: 'varchar', length: 16 })
  format!: string;

  @Column({ name: 'bit_count', type: 'integer' })
  bitCount!: number;

  @Column({ type: 'varchar', length: 2 })
  hint!: string;

  @Column({ name: 'valid_from', type: 'bigint', nullable: true, transformer: epochMs })
  validFrom!: number | null;

  @Column({ name: 'valid_until', type: 'bigint', nullable: true, transformer: epochMs })
  validUntil!: number | null;

  @Column({ type: 'varchar', length: 16 })
  state!: CardState;

  /** Argon2id PHC string; null = no PIN set. */
  @Column({ name: 'pin_hash', type: 'varchar', length: 255, nullable: true })
  pinHash!: string | null;

  @Column({ name: 'pin_failures', type: 'integer', default: 0 })
  pinFailures!: number;

  @Column({ name: 'pin_locked_at', type: 'bigint', nullable: true, transformer: epochMs })
  pinLockedAt!: number | null;

  @Column({ name: 'pin_set_at', type: 'bigint', nullable: true, transformer: epochMs })
  pinSetAt!: number | null;

  @Column({ name: 'issued_by', type: 'varchar', length: 36, nullable: true })
  issuedBy!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}

export const CREDENTIALS_ENTITIES = [CardCredentialEntity];
