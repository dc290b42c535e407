import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer administrator accounts (issue 19): a `staff_account` row with role `customer_admin`
 * names its customer. Plain `ALTER TABLE ADD COLUMN` (both engines), so SQLite does not rebuild
 * the table that every sign-in table references.
 */
export class CustomerAdmins1795723000000 implements MigrationInterface {
  name = 'CustomerAdmins1795723000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE staff_account ADD COLUMN customer_id varchar(36) NULL');
    await q.query('CREATE INDEX idx_staff_account_customer ON staff_account (customer_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_staff_account_customer');
    await q.dropColumn('staff_account', 'customer_id');
  }
}
