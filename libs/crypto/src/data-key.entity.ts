import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/**
 * A data-encryption key, wrapped (AES-256-GCM) by a master key. One per scope, e.g.
 * `customer:<id>`. Deleting the row is crypto-shredding: every ciphertext under it, including
 * copies in backups, becomes unreadable.
 */
@Entity('data_key')
export class DataKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('uq_data_key_scope', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  scope!: string;

  @Column({ name: 'wrapped_key', type: 'text' })
  wrappedKey!: string;

  @Column({ name: 'master_key_id', type: 'varchar', length: 64 })
  masterKeyId!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'rewrapped_at', type: 'bigint', nullable: true, transformer: epochMs })
  rewrappedAt!: number | null;
}
