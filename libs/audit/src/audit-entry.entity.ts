import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * One row of the append-only audit trail. Identifiers only: no names, no contact data, no
 * template bytes. `hash` = SHA-256 over this row's content and `prevHash`, so editing or
 * deleting a row breaks the chain at that point.
 */
@Entity('audit_entry')
@Index('idx_audit_at', ['at'])
@Index('idx_audit_target', ['targetType', 'targetId'])
@Index('idx_audit_actor', ['actorId'])
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 36, unique: true })
  id!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: number;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  role!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  /** JSON of identifiers and counts only. */
  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
