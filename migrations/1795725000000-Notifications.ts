import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * Notifications to customer administrators, owned by @acs/notifications: their settings (the
 * address sealed under the customer's data key), the persisted outbox, and the denial watcher's
 * position in each customer's history chain. Ids of other libs' rows without foreign keys: an
 * account's or customer's erasure goes through the owners' operations.
 */
export class Notifications1795725000000 implements MigrationInterface {
  name = 'Notifications1795725000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'notification_setting',
        columns: [
          { ...id('staff_id'), isPrimary: true },
          id('customer_id'),
          { name: 'email_ct', type: 'text', isNullable: true },
          { name: 'kinds', type: 'varchar', length: '200' },
          ms('updated_at'),
        ],
      }),
    );
    await q.createIndex('notification_setting', new TableIndex({ name: 'idx_notification_setting_customer', columnNames: ['customer_id'] }));
    await q.createTable(
      new Table({
        name: 'notification_outbox',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          id('staff_id'),
          { name: 'kind', type: 'varchar', length: '24' },
          { name: 'dedupe_key', type: 'varchar', length: '160' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'attempts', type: 'integer' },
          ms('next_attempt_at'),
          id('claim_token', true),
          ms('claimed_until', true),
          { name: 'last_error', type: 'varchar', length: '64', isNullable: true },
          ms('created_at'),
          ms('sent_at', true),
        ],
      }),
    );
    await q.createIndices('notification_outbox', [
      new TableIndex({ name: 'uq_notification_outbox_dedupe', columnNames: ['staff_id', 'dedupe_key'], isUnique: true }),
      new TableIndex({ name: 'idx_notification_outbox_due', columnNames: ['status', 'next_attempt_at'] }),
      new TableIndex({ name: 'idx_notification_outbox_customer', columnNames: ['customer_id'] }),
    ]);
    await q.createTable(
      new Table({
        name: 'notification_denial_cursor',
        columns: [
          { name: 'chain_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'seq', type: 'integer' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('notification_denial_cursor');
    await q.dropTable('notification_outbox');
    await q.dropTable('notification_setting');
  }
}
