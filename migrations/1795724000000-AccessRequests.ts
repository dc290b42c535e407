import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * The customer portal's access requests and the access levels staff pre-approve per customer,
 * owned by @acs/access-requests. Ids of registry rows without foreign keys: the registry's
 * deletions and the customer's purge must not be blocked by a request's history.
 */
export class AccessRequests1795724000000 implements MigrationInterface {
  name = 'AccessRequests1795724000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'access_request',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          id('person_id', true),
          id('access_level_id', true),
          ms('valid_from', true),
          ms('valid_until', true),
          { name: 'name_ct', type: 'text', isNullable: true },
          { name: 'email_ct', type: 'text', isNullable: true },
          id('requested_by', true),
          ms('requested_at'),
          id('decided_by', true),
          ms('decided_at', true),
          { name: 'reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'pre_approved', type: 'boolean' },
          id('grant_id', true),
          { name: 'revoked_grants', type: 'integer', isNullable: true },
          { name: 'enrolment', type: 'varchar', length: '16', isNullable: true },
        ],
      }),
    );
    await q.createIndices('access_request', [
      new TableIndex({ name: 'idx_access_request_customer', columnNames: ['customer_id', 'id'] }),
      new TableIndex({ name: 'idx_access_request_status', columnNames: ['status', 'id'] }),
    ]);
    await q.createTable(
      new Table({
        name: 'access_request_pre_approval',
        columns: [{ ...id('customer_id'), isPrimary: true }, { ...id('access_level_id'), isPrimary: true }, ms('created_at')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('access_request_pre_approval');
    await q.dropTable('access_request');
  }
}
