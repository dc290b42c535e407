import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const ref = (name: string, nullable = true): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });

/** Access history (issue 8): one append-only table, hash-chained per customer. */
export class AccessLog1795673233310 implements MigrationInterface {
  name = 'AccessLog1795673233310';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'access_event',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'chain_id', type: 'varchar', length: '64' },
          { name: 'seq', type: 'integer' },
          ref('customer_id'),
          ref('person_id'),
          ref('site_id', false),
          ref('zone_id'),
          ref('door_id'),
          ref('reader_id'),
          { name: 'direction', type: 'varchar', length: '8' },
          { name: 'result', type: 'varchar', length: '8' },
          { name: 'reason', type: 'varchar', length: '48' },
          { name: 'kind', type: 'varchar', length: '16' },
          ref('attempt_id', false),
          { name: 'occurred_at', type: 'bigint' },
          { name: 'recorded_at', type: 'bigint' },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    await q.createIndices('access_event', [
      new TableIndex({ name: 'uq_access_event_chain_seq', columnNames: ['chain_id', 'seq'], isUnique: true }),
      new TableIndex({ name: 'idx_access_event_customer_time', columnNames: ['customer_id', 'occurred_at', 'id'] }),
      new TableIndex({ name: 'idx_access_event_person_time', columnNames: ['person_id', 'occurred_at', 'id'] }),
      new TableIndex({ name: 'idx_access_event_door_time', columnNames: ['door_id', 'occurred_at', 'id'] }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('access_event');
  }
}
