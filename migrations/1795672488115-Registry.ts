import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: name === 'id' });
const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const instant = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const fk = (column: string, table: string, onDelete: 'RESTRICT' | 'CASCADE' = 'RESTRICT', onUpdate?: 'CASCADE') =>
  new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete, onUpdate });

/** Customers, people, sites, zones, devices, schedules, access levels and grants. */
export class Registry1795672488115 implements MigrationInterface {
  name = 'Registry1795672488115';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'customer',
        columns: [
          id(),
          { name: 'company_name', type: 'varchar', length: '200' },
          { name: 'contract_ref', type: 'varchar', length: '64', isUnique: true },
          instant('service_start'),
          instant('service_end', true),
          { name: 'contact_name_ct', type: 'text', isNullable: true },
          { name: 'contact_email_ct', type: 'text', isNullable: true },
          { name: 'contact_phone_ct', type: 'text', isNullable: true },
          instant('purged_at', true),
          instant('created_at'),
          instant('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'person',
        columns: [
          id(),
          ref('customer_id'),
          { name: 'name_ct', type: 'text' },
          { name: 'email_ct', type: 'text', isNullable: true },
          { name: 'phone_ct', type: 'text', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          instant('valid_from', true),
          instant('valid_until', true),
          instant('created_at'),
          instant('updated_at'),
        ],
        indices: [{ name: 'idx_person_customer', columnNames: ['customer_id', 'id'] }],
        foreignKeys: [fk('customer_id', 'customer')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'site',
        columns: [
          id(),
          { name: 'name', type: 'varchar', length: '120', isUnique: true },
          { name: 'time_zone', type: 'varchar', length: '64' },
          instant('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'zone',
        columns: [
          id(),
          ref('site_id'),
          ref('parent_zone_id', true),
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'anti_passback', type: 'varchar', length: '8' },
          { name: 'interlock_group', type: 'varchar', length: '64', isNullable: true },
          { name: 'two_person_window_s', type: 'integer', isNullable: true },
          { name: 'lockdown', type: 'boolean' },
          instant('created_at'),
        ],
        indices: [{ name: 'idx_zone_site', columnNames: ['site_id'] }],
        foreignKeys: [fk('site_id', 'site'), fk('parent_zone_id', 'zone')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'reader',
        columns: [
          id(),
          ref('site_id'),
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'model', type: 'varchar', length: '16' },
          { name: 'transport', type: 'varchar', length: '255', isUnique: true },
          { name: 'address', type: 'bigint' },
          { name: 'password_ct', type: 'text' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'capacity', type: 'integer', isNullable: true },
          { name: 'declared_capacity', type: 'integer' },
          instant('created_at'),
        ],
        indices: [{ name: 'idx_reader_site', columnNames: ['site_id'] }],
        foreignKeys: [fk('site_id', 'site')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'door_controller',
        columns: [
          id(),
          ref('site_id'),
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'mqtt_id', type: 'varchar', length: '64', isUnique: true },
          { name: 'mqtt_password_hash', type: 'text' },
          { name: 'signing_secret_ct', type: 'text' },
          instant('secrets_rotated_at'),
          instant('created_at'),
        ],
        indices: [{ name: 'idx_controller_site', columnNames: ['site_id'] }],
        foreignKeys: [fk('site_id', 'site')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'door',
        columns: [
          id(),
          ref('zone_id'),
          { name: 'name', type: 'varchar', length: '120' },
          ref('entry_reader_id', true),
          ref('exit_reader_id', true),
          ref('controller_id', true),
          { name: 'relay_channel', type: 'integer' },
          { name: 'held_open_s', type: 'integer' },
          { name: 'fail_mode', type: 'varchar', length: '8' },
          instant('created_at'),
        ],
        indices: [{ name: 'idx_door_zone', columnNames: ['zone_id'] }],
        foreignKeys: [fk('zone_id', 'zone'), fk('entry_reader_id', 'reader'), fk('exit_reader_id', 'reader'), fk('controller_id', 'door_controller')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'schedule',
        columns: [
          id(),
          { name: 'name', type: 'varchar', length: '120', isUnique: true },
          { name: 'time_zone', type: 'varchar', length: '64' },
          { name: 'windows', type: 'text' },
          { name: 'holidays', type: 'text' },
          { name: 'holiday_windows', type: 'text' },
          instant('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'access_level',
        columns: [id(), ref('site_id'), { name: 'name', type: 'varchar', length: '120', isUnique: true }, ref('schedule_id', true), instant('created_at')],
        foreignKeys: [fk('site_id', 'site'), fk('schedule_id', 'schedule')],
      }),
    );
    for (const [table, column, target] of [
      ['access_level_zone', 'zone_id', 'zone'],
      ['access_level_door', 'door_id', 'door'],
    ] as const) {
      await q.createTable(
        new Table({
          name: table,
          columns: [
            { name: 'access_level_id', type: 'varchar', length: '36', isPrimary: true },
            { name: column, type: 'varchar', length: '36', isPrimary: true },
          ],
          indices: [new TableIndex({ columnNames: ['access_level_id'] }), new TableIndex({ columnNames: [column] })],
          // TypeORM's junction tables cascade both ways.
          foreignKeys: [fk('access_level_id', 'access_level', 'CASCADE', 'CASCADE'), fk(column, target, 'CASCADE', 'CASCADE')],
        }),
      );
    }
    await q.createTable(
      new Table({
        name: 'access_grant',
        columns: [
          id(),
          ref('access_level_id'),
          ref('customer_id'),
          ref('person_id', true),
          instant('valid_from', true),
          instant('valid_until', true),
          instant('created_at'),
        ],
        indices: [
          { name: 'idx_grant_customer', columnNames: ['customer_id'] },
          { name: 'idx_grant_person', columnNames: ['person_id'] },
        ],
        foreignKeys: [fk('access_level_id', 'access_level'), fk('customer_id', 'customer'), fk('person_id', 'person', 'CASCADE')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'access_grant',
      'access_level_door',
      'access_level_zone',
      'access_level',
      'schedule',
      'door',
      'door_controller',
      'reader',
      'zone',
      'site',
      'person',
      'customer',
    ]) {
      await q.dropTable(t);
    }
  }
}
