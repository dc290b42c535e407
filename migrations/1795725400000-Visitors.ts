import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const ct = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true });

/**
 * Visitors (issue 20), owned by @acs/visitors: one row per expected visit (name, company and
 * e-mail sealed under the customer's key; whether and when the ID document was checked, never the
 * document) and the customer's visitor policy. The registry's `person` learns which people are
 * visitors and whom they must be escorted by: plain ALTER TABLE ADD COLUMN on both engines, so
 * SQLite does not rebuild the table the grants and templates reference. Ids of registry rows
 * without foreign keys, as for access requests: a visit's record must not block an erasure.
 */
export class Visitors1795725400000 implements MigrationInterface {
  name = 'Visitors1795725400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'visitor',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          id('host_person_id'),
          id('access_level_id'),
          id('site_id'),
          { name: 'visit_date', type: 'varchar', length: '10' },
          ms('window_start'),
          ms('window_end'),
          { name: 'status', type: 'varchar', length: '16' },
          ct('name_ct'),
          ct('company_ct'),
          ct('email_ct'),
          { name: 'escort_required', type: 'boolean', isNullable: true },
          ms('id_checked_at', true),
          id('id_checked_by', true),
          ms('checked_in_at', true),
          id('checked_in_by', true),
          ms('checked_out_at', true),
          id('checked_out_by', true),
          id('grant_id', true),
          id('registered_by', true),
          ms('registered_at'),
          ms('erased_at', true),
          id('erasure_job_id', true),
        ],
      }),
    );
    await q.createIndices('visitor', [
      new TableIndex({ name: 'idx_visitor_customer', columnNames: ['customer_id', 'id'] }),
      new TableIndex({ name: 'idx_visitor_date', columnNames: ['visit_date'] }),
      new TableIndex({ name: 'idx_visitor_status_end', columnNames: ['status', 'window_end'] }),
    ]);
    await q.createTable(
      new Table({
        name: 'visitor_policy',
        columns: [{ ...id('customer_id'), isPrimary: true }, { name: 'escort_required', type: 'boolean' }, ms('updated_at'), id('updated_by', true)],
      }),
    );
    await q.query(`ALTER TABLE person ADD COLUMN kind varchar(16) NOT NULL DEFAULT 'employee'`);
    await q.query('ALTER TABLE person ADD COLUMN escort_person_id varchar(36) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('person', 'escort_person_id');
    await q.dropColumn('person', 'kind');
    await q.dropTable('visitor_policy');
    await q.dropTable('visitor');
  }
}
