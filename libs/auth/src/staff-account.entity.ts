import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { AccountRole } from './roles.js';

/**
 * A person's account: staff, or a customer's own administrator (role `customer_admin` with its
 * `customerId`). One table for both, so passwords, second factors, resets, lock-outs and browser
 * sessions (all keyed by `staff_id`) serve both without a second set of tables.
 */
@Entity('staff_account')
export class StaffAccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** A login handle chosen by the admin, unique. Never logged or put in audit rows (ids are). */
  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: AccountRole;

  /**
   * The customer a `customer_admin` belongs to; null for staff. No foreign key: the registry owns
   * `customer`, and a customer's end disables these accounts through the auth lib's own operation.
   */
  @Index('idx_staff_account_customer')
  @Column({ name: 'customer_id', type: 'varchar', length: 36, nullable: true })
  customerId!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'disabled_at', type: 'bigint', nullable: true, transformer: epochMs })
  disabledAt!: number | null;
}
