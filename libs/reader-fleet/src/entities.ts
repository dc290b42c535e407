import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/**
 * One enrolled finger. The template bytes exist on the server only as `templateCt`: AES-256-GCM
 * under the customer's data key, bound to `template:<id>:data`, so destroying the customer's key
 * (issue 9) makes every copy unreadable. No foreign keys on purpose: the erasure pipeline decides
 * the order in which readers, templates and people disappear (deletion order:
 * docs/privacy-and-regulation.md §What a market-leading product does).
 */
@Entity('fingerprint_template')
@Index('uq_fingerprint_template_person_finger', ['personId', 'finger'], { unique: true })
@Index('idx_fingerprint_template_customer', ['customerId'])
export class FingerprintTemplateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'person_id', type: 'varchar', length: 36 })
  personId!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  /** 0..9, thumb to little finger, right hand first (ISO/IEC 19794 finger positions minus one). */
  @Column({ type: 'integer' })
  finger!: number;

  @Column({ name: 'template_ct', type: 'text' })
  templateCt!: string;

  /** Driver model map the template was made with (r503, r30x): templates are vendor formats (docs/r503-protocol.md §Data packets and template size). */
  @Column({ type: 'varchar', length: 16 })
  model!: string;

  @Column({ type: 'varchar', length: 32 })
  format!: string;

  @Column({ type: 'integer' })
  size!: number;

  /** Match score of the enrolment captures against each other (0..400 on ZhianTec modules). */
  @Column({ type: 'integer' })
  quality!: number;

  @Column({ name: 'enrolled_by', type: 'varchar', length: 36, nullable: true })
  enrolledBy!: string | null;

  @Column({ name: 'enrolled_at', type: 'bigint', transformer: epochMs })
  enrolledAt!: number;
}

export type SlotState = 'storing' | 'stored' | 'deleting';

/**
 * The server's bookkeeping of one library slot on one reader. Written when a store is planned
 * (`storing`), confirmed by the worker (`stored`), marked `deleting` when planned away and removed
 * once the delete is verified with ReadIndexTable. Person and customer are copied here so a slot
 * can be mapped (badge-in) and confirmed erased (purge) after the template row is gone.
 */
@Entity('reader_slot')
@Index('idx_reader_slot_template', ['templateId'])
@Index('idx_reader_slot_person', ['personId'])
@Index('idx_reader_slot_customer', ['customerId'])
export class ReaderSlotEntity {
  @PrimaryColumn({ name: 'reader_id', type: 'varchar', length: 36 })
  readerId!: string;

  @PrimaryColumn({ type: 'integer' })
  slot!: number;

  @Column({ name: 'template_id', type: 'varchar', length: 36 })
  templateId!: string;

  @Column({ name: 'person_id', type: 'varchar', length: 36 })
  personId!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: SlotState;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}

export type ReaderOpKind = 'store' | 'delete' | 'empty';
/** `skipped`: superseded before it ran (the slot was planned away or erased meanwhile). */
export type ReaderOpState = 'pending' | 'done' | 'failed' | 'skipped';

/**
 * Outbox of reader library operations. Every kind is idempotent on the module (Store overwrites
 * a slot, DeletChar of an empty slot succeeds, Empty of an empty library succeeds), so a worker
 * that crashed after the module acted but before `done` was written simply repeats it.
 */
@Entity('reader_op')
@Index('idx_reader_op_reader_state_seq', ['readerId', 'state', 'seq'])
export class ReaderOpEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Apply order per reader. */
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ name: 'reader_id', type: 'varchar', length: 36 })
  readerId!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: ReaderOpKind;

  @Column({ name: 'template_id', type: 'varchar', length: 36, nullable: true })
  templateId!: string | null;

  @Column({ type: 'integer', nullable: true })
  slot!: number | null;

  @Column({ type: 'varchar', length: 8 })
  state!: ReaderOpState;

  @Column({ type: 'integer' })
  attempts!: number;

  /** Error code and driver message; never template bytes. */
  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'done_at', type: 'bigint', transformer: epochMs, nullable: true })
  doneAt!: number | null;
}

/** One reconciliation of a reader's library against the bookkeeping: the drift found. */
@Entity('reader_reconciliation')
@Index('idx_reader_reconciliation_reader_at', ['readerId', 'at'])
export class ReaderReconciliationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'reader_id', type: 'varchar', length: 36 })
  readerId!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: number;

  /** Occupied slots ReadIndexTable reported. */
  @Column({ type: 'integer' })
  found!: number;

  /** Slots the bookkeeping says should be occupied. */
  @Column({ type: 'integer' })
  expected!: number;

  @Column({ name: 'missing_pushed', type: 'integer' })
  missingPushed!: number;

  @Column({ name: 'ghosts_deleted', type: 'integer' })
  ghostsDeleted!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  error!: string | null;
}

export const READER_FLEET_ENTITIES = [FingerprintTemplateEntity, ReaderSlotEntity, ReaderOpEntity, ReaderReconciliationEntity];
