import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { PersonStatus } from '@acs/access-rules';
import { CustomerEntity } from './customer.entity.js';

/** `visitor`: a person made at the security desk for one visit (@acs/visitors); everyone else is an `employee`. */
export const PERSON_KINDS = ['employee', 'visitor'] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

/** A customer's employee. Name, e-mail and phone are ciphertexts under the customer's data key. */
@Entity('person')
@Index('idx_person_customer', ['customerId', 'id'])
export class PersonEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;

  @Column({ name: 'name_ct', type: 'text' })
  nameCt!: string;

  @Column({ name: 'email_ct', type: 'text', nullable: true })
  emailCt!: string | null;

  @Column({ name: 'phone_ct', type: 'text', nullable: true })
  phoneCt!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: PersonStatus;

  @Column({ name: 'valid_from', type: 'bigint', nullable: true, transformer: epochMs })
  validFrom!: number | null;

  @Column({ name: 'valid_until', type: 'bigint', nullable: true, transformer: epochMs })
  validUntil!: number | null;

  @Column({ type: 'varchar', length: 16, default: 'employee' })
  kind!: PersonKind;

  /** A visitor who must be escorted: the host (a person of the same customer) who badges with them at every door. */
  @Column({ name: 'escort_person_id', type: 'varchar', length: 36, nullable: true })
  escortPersonId!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}
