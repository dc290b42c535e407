import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/** `cancelled`: the customer (or the desk) called the visit off while it was still expected. */
export const VISITOR_STATUSES = ['expected', 'checked_in', 'left', 'no_show', 'cancelled', 'erased'] as const;
export type VisitorStatus = (typeof VISITOR_STATUSES)[number];

/**
 * One expected visit (issue 20). The visitor's name, company and e-mail are sealed under the
 * customer's data key (bound to `visitor:<id>:<field>`, so the customer's purge shreds them) and
 * cleared by the visit's erasure; the row then keeps ids, dates and statuses only. Of the ID
 * document only that and when it was checked, and by whom: never a number, a scan or a photo (the
 * privacy statement's rule on ID documents, docs/visitors.md). At check-in the registry gets a
 * person with this row's id, valid until the window ends, and a grant of `accessLevelId` for the
 * same period: the visit's id is the visitor's person id.
 */
@Entity('visitor')
@Index('idx_visitor_customer', ['customerId', 'id'])
@Index('idx_visitor_date', ['visitDate'])
@Index('idx_visitor_status_end', ['status', 'windowEnd'])
export class VisitorEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'host_person_id', type: 'varchar', length: 36 })
  hostPersonId!: string;

  @Column({ name: 'access_level_id', type: 'varchar', length: 36 })
  accessLevelId!: string;

  /** The access level's site: its time zone says which local day the visit is on. */
  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  /** The local date (site time zone) of the window's start, `YYYY-MM-DD`. */
  @Column({ name: 'visit_date', type: 'varchar', length: 10 })
  visitDate!: string;

  @Column({ name: 'window_start', type: 'bigint', transformer: epochMs })
  windowStart!: number;

  /** Exclusive: the visitor's access ends at this instant, checked out or not. */
  @Column({ name: 'window_end', type: 'bigint', transformer: epochMs })
  windowEnd!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: VisitorStatus;

  @Column({ name: 'name_ct', type: 'text', nullable: true })
  nameCt!: string | null;

  @Column({ name: 'company_ct', type: 'text', nullable: true })
  companyCt!: string | null;

  @Column({ name: 'email_ct', type: 'text', nullable: true })
  emailCt!: string | null;

  /** The customer's policy as applied at check-in (null before). */
  @Column({ name: 'escort_required', type: 'boolean', nullable: true })
  escortRequired!: boolean | null;

  @Column({ name: 'id_checked_at', type: 'bigint', nullable: true, transformer: epochMs })
  idCheckedAt!: number | null;

  @Column({ name: 'id_checked_by', type: 'varchar', length: 36, nullable: true })
  idCheckedBy!: string | null;

  @Column({ name: 'checked_in_at', type: 'bigint', nullable: true, transformer: epochMs })
  checkedInAt!: number | null;

  @Column({ name: 'checked_in_by', type: 'varchar', length: 36, nullable: true })
  checkedInBy!: string | null;

  /** When the visitor left: checked out by staff, or the window's end when nobody did. */
  @Column({ name: 'checked_out_at', type: 'bigint', nullable: true, transformer: epochMs })
  checkedOutAt!: number | null;

  /** Null when the window's end closed the visit. */
  @Column({ name: 'checked_out_by', type: 'varchar', length: 36, nullable: true })
  checkedOutBy!: string | null;

  @Column({ name: 'grant_id', type: 'varchar', length: 36, nullable: true })
  grantId!: string | null;

  /** The customer administrator's account; null for a customer token or staff. */
  @Column({ name: 'registered_by', type: 'varchar', length: 36, nullable: true })
  registeredBy!: string | null;

  @Column({ name: 'registered_at', type: 'bigint', transformer: epochMs })
  registeredAt!: number;

  @Column({ name: 'erased_at', type: 'bigint', nullable: true, transformer: epochMs })
  erasedAt!: number | null;

  @Column({ name: 'erasure_job_id', type: 'varchar', length: 36, nullable: true })
  erasureJobId!: string | null;
}

/** Whether a customer's visitors must be escorted; no row: they must (the default). */
@Entity('visitor_policy')
export class VisitorPolicyEntity {
  @PrimaryColumn({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'escort_required', type: 'boolean' })
  escortRequired!: boolean;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;

  @Column({ name: 'updated_by', type: 'varchar', length: 36, nullable: true })
  updatedBy!: string | null;
}

export const VISITOR_ENTITIES = [VisitorEntity, VisitorPolicyEntity];
