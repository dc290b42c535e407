import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/**
 * A colocation customer. The company name and contract reference are business data; the
 * contact person's name, e-mail and phone are personal data and stored encrypted under the
 * customer's data key.
 */
@Entity('customer')
export class CustomerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'company_name', type: 'varchar', length: 200 })
  companyName!: string;

  @Column({ name: 'contract_ref', type: 'varchar', length: 64, unique: true })
  contractRef!: string;

  @Column({ name: 'service_start', type: 'bigint', transformer: epochMs })
  serviceStart!: number;

  @Column({ name: 'service_end', type: 'bigint', nullable: true, transformer: epochMs })
  serviceEnd!: number | null;

  @Column({ name: 'contact_name_ct', type: 'text', nullable: true })
  contactNameCt!: string | null;

  @Column({ name: 'contact_email_ct', type: 'text', nullable: true })
  contactEmailCt!: string | null;

  @Column({ name: 'contact_phone_ct', type: 'text', nullable: true })
  contactPhoneCt!: string | null;

  @Column({ name: 'purged_at', type: 'bigint', nullable: true, transformer: epochMs })
  purgedAt!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}
