import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { StaffRole } from './roles.js';

@Entity('staff_account')
export class StaffAccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** A login handle chosen by the admin, unique. Never logged or put in audit rows (ids are). */
  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: StaffRole;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'disabled_at', type: 'bigint', nullable: true, transformer: epochMs })
  disabledAt!: number | null;
}
