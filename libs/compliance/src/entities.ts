import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/**
 * `customer`: end-of-service purge; `person`: erasure of one person; `biometrics`: consent
 * withdrawn (templates only); `visitor`: a visit's data after its retention period (@acs/visitors).
 */
export type ErasureKind = 'customer' | 'person' | 'biometrics' | 'visitor';
export const ERASURE_KINDS: readonly ErasureKind[] = ['customer', 'person', 'biometrics', 'visitor'];
export type ErasureState = 'running' | 'waiting_for_devices' | 'held' | 'done';
export type ErasureStep = 'readers' | 'server_data' | 'history' | 'key' | 'physical' | 'certificate' | 'done';
export const ERASURE_STEPS: readonly ErasureStep[] = ['readers', 'server_data', 'history', 'key', 'physical', 'certificate', 'done'];

/**
 * One erasure as a persisted state machine: `step` is the next step to run. Every step is
 * idempotent, so a process that dies anywhere repeats at most the step it was in. `data` holds
 * ids, counts, hashes and timestamps only (the certificate is built from it): never a name, a
 * contact value or a template.
 */
@Entity('erasure_job')
@Index('idx_erasure_job_state', ['state'])
@Index('idx_erasure_job_customer', ['customerId'])
export class ErasureJobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ErasureKind;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  @Column({ type: 'varchar', length: 24 })
  state!: ErasureState;

  @Column({ type: 'varchar', length: 24 })
  step!: ErasureStep;

  /** `schedule`, `manual` (compliance), `request` (a data-subject case), `reapply`, `retention` (a visit's retention period ended). */
  @Column({ name: 'trigger', type: 'varchar', length: 16 })
  trigger!: string;

  @Column({ name: 'requested_by', type: 'varchar', length: 64, nullable: true })
  requestedBy!: string | null;

  @Column({ name: 'case_id', type: 'varchar', length: 36, nullable: true })
  caseId!: string | null;

  /** JSON: counts per step, per-reader confirmations, chain heads, scan results, deferrals. */
  @Column({ type: 'text' })
  data!: string;

  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;

  @Column({ name: 'finished_at', type: 'bigint', nullable: true, transformer: epochMs })
  finishedAt!: number | null;
}

/** An erasure certificate: the JSON body (no personal data) and its SHA-256. */
@Entity('erasure_certificate')
@Index('idx_erasure_certificate_customer', ['customerId'])
@Index('idx_erasure_certificate_job', ['jobId'])
export class ErasureCertificateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'job_id', type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ErasureKind;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  /** False while a legal hold defers part of the erasure; a final certificate follows the release. */
  @Column({ name: 'complete', type: 'boolean' })
  complete!: boolean;

  @Column({ name: 'issued_at', type: 'bigint', transformer: epochMs })
  issuedAt!: number;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** Compact JWS of `body`, Ed25519 (null: issued before certificates were signed). */
  @Column({ type: 'text', nullable: true })
  jws!: string | null;
}

/**
 * A legal hold (an authority's request, GDPR Art. 17(3)(b)/(e)): defers erasure of the held
 * customer's (or person's) history and names. Templates and reader copies are erased regardless.
 */
@Entity('legal_hold')
@Index('idx_legal_hold_customer', ['customerId'])
export class LegalHoldEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  /** Null: the whole customer. */
  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  /** The authority's reference (case or order number). */
  @Column({ type: 'varchar', length: 100 })
  reference!: string;

  @Column({ name: 'placed_by', type: 'varchar', length: 64 })
  placedBy!: string;

  @Column({ name: 'placed_at', type: 'bigint', transformer: epochMs })
  placedAt!: number;

  @Column({ name: 'released_by', type: 'varchar', length: 64, nullable: true })
  releasedBy!: string | null;

  @Column({ name: 'released_at', type: 'bigint', nullable: true, transformer: epochMs })
  releasedAt!: number | null;

  @Column({ name: 'release_reason', type: 'varchar', length: 500, nullable: true })
  releaseReason!: string | null;
}

export const DSR_KINDS = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'] as const;
export type DsrKind = (typeof DSR_KINDS)[number];
export const DSR_STATUSES = ['open', 'completed', 'rejected'] as const;
export type DsrStatus = (typeof DSR_STATUSES)[number];
/** How identity was verified. The ID copy itself is never stored (privacy statement). */
export const IDENTITY_METHODS = ['id_document_checked', 'in_person', 'known_contact', 'customer_confirmed'] as const;
export type IdentityMethod = (typeof IDENTITY_METHODS)[number];

/** A data-subject request (GDPR Art. 15-21) as a case with its one-month deadline (Art. 12(3)). */
@Entity('dsr_case')
@Index('idx_dsr_case_person', ['personId'])
@Index('idx_dsr_case_status_due', ['status', 'dueAt'])
export class DsrCaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: DsrKind;

  @Column({ name: 'person_id', type: 'varchar', length: 36 })
  personId!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs })
  receivedAt!: number;

  @Column({ name: 'identity_method', type: 'varchar', length: 32 })
  identityMethod!: IdentityMethod;

  @Column({ name: 'identity_checked_by', type: 'varchar', length: 64 })
  identityCheckedBy!: string;

  @Column({ name: 'identity_checked_at', type: 'bigint', transformer: epochMs })
  identityCheckedAt!: number;

  @Column({ name: 'due_at', type: 'bigint', transformer: epochMs })
  dueAt!: number;

  @Column({ name: 'extended', type: 'boolean' })
  extended!: boolean;

  @Column({ name: 'extension_reason', type: 'varchar', length: 500, nullable: true })
  extensionReason!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: DsrStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  outcome!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'closed_at', type: 'bigint', nullable: true, transformer: epochMs })
  closedAt!: number | null;
}

export const COMPLIANCE_ENTITIES = [ErasureJobEntity, ErasureCertificateEntity, LegalHoldEntity, DsrCaseEntity];
