import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/** What a customer administrator can be told (README "Customer portal", docs/notifications.md). */
export const NOTIFICATION_KINDS = ['request_decided', 'visitor_arrived', 'person_denied', 'access_ending'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** `pending`: to be sent (again); `sent`; `dead`: given up after the last attempt or a permanent refusal; `dropped`: the recipient has no address or account any more. */
export const OUTBOX_STATUSES = ['pending', 'sent', 'dead', 'dropped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * One customer administrator's notification settings. The e-mail address is personal data: it
 * is sealed under the customer's data key (bound to this row and column), so the customer's
 * purge deletes the row and shreds the key, and a backup holds only ciphertext. Kept here rather
 * than on `staff_account` so the address is encrypted like every other address of the customer
 * and the lib that sends mail is the one place that reads it.
 */
@Entity('notification_setting')
@Index('idx_notification_setting_customer', ['customerId'])
export class NotificationSettingEntity {
  /** The customer administrator's account (`staff_account.id`, owned by auth: no foreign key). */
  @PrimaryColumn({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'email_ct', type: 'text', nullable: true })
  emailCt!: string | null;

  /** The kinds this administrator receives, comma-separated (a subset of NOTIFICATION_KINDS). */
  @Column({ type: 'varchar', length: 200 })
  kinds!: string;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}

/**
 * The persisted outbox: one row per mail and recipient, ids only (the address is looked up when
 * sending, so an address erased meanwhile is never used). `(staff_id, dedupe_key)` is unique: the
 * same fact (a request's decision, a grant's end, a streak of denials) is queued once per
 * recipient however many instances or rounds notice it.
 */
@Entity('notification_outbox')
@Index('uq_notification_outbox_dedupe', ['staffId', 'dedupeKey'], { unique: true })
@Index('idx_notification_outbox_due', ['status', 'nextAttemptAt'])
@Index('idx_notification_outbox_customer', ['customerId'])
export class NotificationOutboxEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @Column({ type: 'varchar', length: 24 })
  kind!: NotificationKind;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 160 })
  dedupeKey!: string;

  /** JSON of the facts the mail states: ids, codes, times (never a name or an address). */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: OutboxStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt!: number;

  /** The sending round that holds the row (a random id); with `claimedUntil`, keeps two instances from sending it twice. */
  @Column({ name: 'claim_token', type: 'varchar', length: 36, nullable: true })
  claimToken!: string | null;

  @Column({ name: 'claimed_until', type: 'bigint', nullable: true, transformer: epochMs })
  claimedUntil!: number | null;

  /** The last failure as a code (SMTP reply code or error code), never the server's text (it may echo the address). */
  @Column({ name: 'last_error', type: 'varchar', length: 64, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs })
  sentAt!: number | null;
}

/** How far the denial watcher has read a customer's history chain. */
@Entity('notification_denial_cursor')
export class DenialCursorEntity {
  @PrimaryColumn({ name: 'chain_id', type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'integer' })
  seq!: number;
}

export const NOTIFICATION_ENTITIES = [NotificationSettingEntity, NotificationOutboxEntity, DenialCursorEntity];
