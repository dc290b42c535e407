import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });

/** Badge-in (issue 7): door alarms, the controllers' handled event sequence, staff door overrides. */
export class BadgeIn1795675757794 implements MigrationInterface {
  name = 'BadgeIn1795675757794';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'door_alarm',
        columns: [
          { ...id('id'), isPrimary: true },
          { name: 'kind', type: 'varchar', length: '24' },
          { name: 'state', type: 'varchar', length: '16' },
          id('site_id'),
          id('zone_id', true),
          id('door_id', true),
          id('controller_id', true),
          id('attempt_id', true),
          { name: 'detail', type: 'varchar', length: '255', isNullable: true },
          { name: 'raised_at', type: 'bigint' },
          id('acknowledged_by', true),
          { name: 'acknowledged_at', type: 'bigint', isNullable: true },
          { name: 'ack_note', type: 'varchar', length: '500', isNullable: true },
        ],
      }),
    );
    await q.createIndices('door_alarm', [
      new TableIndex({ name: 'idx_door_alarm_state_raised', columnNames: ['state', 'raised_at'] }),
      new TableIndex({ name: 'idx_door_alarm_site', columnNames: ['site_id'] }),
    ]);
    await q.createTable(
      new Table({
        name: 'controller_event_sequence',
        columns: [
          { name: 'mqtt_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'epoch', type: 'bigint' },
          { name: 'seq', type: 'integer' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'door_override',
        columns: [
          { ...id('door_id'), isPrimary: true },
          { name: 'mode', type: 'varchar', length: '24' },
          id('set_by', true),
          { name: 'set_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('door_override');
    await q.dropTable('controller_event_sequence');
    await q.dropTable('door_alarm');
  }
}
