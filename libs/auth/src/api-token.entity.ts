import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import { StaffAccountEntity } from './staff-account.entity.js';

@Entity('api_token')
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** SHA-256 of the bearer token; the token itself is shown once and never stored. */
  @Index('uq_api_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'staff' | 'customer';

  @Column({ name: 'staff_id', type: 'varchar', length: 36, nullable: true })
  staffId!: string | null;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity | null;

  @Index('idx_api_token_customer')
  @Column({ name: 'customer_id', type: 'varchar', length: 36, nullable: true })
  customerId!: string | null;

  /** A free label such as "desk terminal 2"; not meant for personal data. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  label!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: number | null;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: number | null;
}
