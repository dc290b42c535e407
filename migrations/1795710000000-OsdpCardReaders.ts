import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * OSDP card readers in the registry (issue 17): the RS-485 buses each instance opens, the
 * readers (PDs) on them with their Secure Channel key, which card readers a door is badged
 * through, and the credential policy of zones and doors; the access history records the
 * credential of each attempt. The door's card-reader columns carry no foreign key: SQLite can
 * only add one by rebuilding the `door` table, and the registry service checks the references
 * (as it does before deleting a reader a door names).
 */
export class OsdpCardReaders1795710000000 implements MigrationInterface {
  name = 'OsdpCardReaders1795710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'osdp_bus',
        columns: [
          { ...id('id'), isPrimary: true },
          id('site_id'),
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'transport', type: 'varchar', length: '255' },
          { name: 'host', type: 'varchar', length: '64', default: "'default'" },
          { name: 'baud_rate', type: 'integer' },
          ms('created_at'),
        ],
        foreignKeys: [{ columnNames: ['site_id'], referencedTableName: 'site', referencedColumnNames: ['id'], onDelete: 'RESTRICT' }],
      }),
    );
    await q.createIndices('osdp_bus', [
      new TableIndex({ name: 'uq_osdp_bus_host_transport', columnNames: ['host', 'transport'], isUnique: true }),
      new TableIndex({ name: 'idx_osdp_bus_site', columnNames: ['site_id'] }),
    ]);
    await q.createTable(
      new Table({
        name: 'card_reader',
        columns: [
          { ...id('id'), isPrimary: true },
          id('site_id'),
          id('bus_id'),
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'address', type: 'integer' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'secure_mode', type: 'varchar', length: '16' },
          { name: 'install_mode', type: 'boolean' },
          { name: 'scbk_ct', type: 'text', isNullable: true },
          ms('scbk_set_at', true),
          ms('created_at'),
        ],
        foreignKeys: [
          { columnNames: ['site_id'], referencedTableName: 'site', referencedColumnNames: ['id'], onDelete: 'RESTRICT' },
          { columnNames: ['bus_id'], referencedTableName: 'osdp_bus', referencedColumnNames: ['id'], onDelete: 'RESTRICT' },
        ],
      }),
    );
    await q.createIndices('card_reader', [
      new TableIndex({ name: 'uq_card_reader_bus_address', columnNames: ['bus_id', 'address'], isUnique: true }),
      new TableIndex({ name: 'idx_card_reader_site', columnNames: ['site_id'] }),
    ]);
    // Plain ALTER TABLE ... ADD COLUMN (both engines): TypeORM's addColumn rebuilds a SQLite
    // table by copying it, which for a large access history costs minutes and twice its disk.
    for (const sql of [
      'ALTER TABLE door ADD COLUMN entry_card_reader_id varchar(36)',
      'ALTER TABLE door ADD COLUMN exit_card_reader_id varchar(36)',
      'ALTER TABLE door ADD COLUMN credential_policy varchar(20)',
      "ALTER TABLE zone ADD COLUMN credential_policy varchar(20) NOT NULL DEFAULT 'fingerprint'",
      'ALTER TABLE access_event ADD COLUMN credential varchar(20)',
    ]) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('access_event', 'credential');
    await q.dropColumn('zone', 'credential_policy');
    await q.dropColumns('door', ['entry_card_reader_id', 'exit_card_reader_id', 'credential_policy']);
    await q.dropTable('card_reader');
    await q.dropTable('osdp_bus');
  }
}
