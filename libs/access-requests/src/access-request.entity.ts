import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

export const REQUEST_KINDS = ['add_person', 'grant', 'remove'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const REQUEST_STATUSES = ['pending', 'approved', 'refused', 'applied'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export type EnrolmentState = 'invited';

/**
 * One request a customer files through the portal (issue "Customer portal"). The registry stays
 * the source of truth: an approved request is applied through its operations and keeps only the
 * ids of what it made. A new person's name and e-mail wait here sealed under the customer's data
 * key (so the customer's purge shreds them) and are cleared once the person row holds them.
 */
@Entity('access_request')
@Index('idx_access_request_customer', ['customerId', 'id'])
@Index('idx_access_request_status', ['status', 'id'])
export class AccessRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: RequestKind;

  @Column({ type: 'varchar', length: 16 })
  status!: RequestStatus;

  /** The person concerned; for `add_person`, the person created on approval. */
  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  @Column({ name: 'access_level_id', type: 'varchar', length: 36, nullable: true })
  accessLevelId!: string | null;

  @Column({ name: 'valid_from', type: 'bigint', nullable: true, transformer: epochMs })
  validFrom!: number | null;

  @Column({ name: 'valid_until', type: 'bigint', nullable: true, transformer: epochMs })
  validUntil!: number | null;

  @Column({ name: 'name_ct', type: 'text', nullable: true })
  nameCt!: string | null;

  @Column({ name: 'email_ct', type: 'text', nullable: true })
  emailCt!: string | null;

  /** The customer administrator's account; null for a customer token. */
  @Column({ name: 'requested_by', type: 'varchar', length: 36, nullable: true })
  requestedBy!: string | null;

  @Column({ name: 'requested_at', type: 'bigint', transformer: epochMs })
  requestedAt!: number;

  /** The staff account that decided; null when pre-approved or applied at once. */
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_at', type: 'bigint', nullable: true, transformer: epochMs })
  decidedAt!: number | null;

  /** Staff's reason, shown to the customer (a refusal requires one). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @Column({ name: 'pre_approved', type: 'boolean' })
  preApproved!: boolean;

  /** The grant an approval created. */
  @Column({ name: 'grant_id', type: 'varchar', length: 36, nullable: true })
  grantId!: string | null;

  /** How many grants a removal revoked. */
  @Column({ name: 'revoked_grants', type: 'integer', nullable: true })
  revokedGrants!: number | null;

  /** After an approved addition or grant the person is invited to enrolment at the desk. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  enrolment!: EnrolmentState | null;
}

/** Access levels staff let a customer's grant requests apply without approval. */
@Entity('access_request_pre_approval')
export class PreApprovalEntity {
  @PrimaryColumn({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @PrimaryColumn({ name: 'access_level_id', type: 'varchar', length: 36 })
  accessLevelId!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

export const ACCESS_REQUEST_ENTITIES = [AccessRequestEntity, PreApprovalEntity];
