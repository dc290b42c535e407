import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex, TableUnique } from 'typeorm';

/**
 * Several server instances (issue 11): readers and controllers name the instance that owns them
 * (`host`, matched against INSTANCE_ID; 'default' for a single server), a serial path is unique
 * per host rather than worldwide, and cluster-wide jobs take a lease.
 */
export class Cluster1795680000000 implements MigrationInterface {
  name = 'Cluster1795680000000';

  async up(q: QueryRunner): Promise<void> {
    const host = () => new TableColumn({ name: 'host', type: 'varchar', length: '64', default: "'default'" });
    await q.addColumn('reader', host());
    await q.addColumn('door_controller', host());
    // /dev/ttyUSB0 exists on every host: the transport is unique within one host.
    const reader = (await q.getTable('reader'))!;
    const unique = reader.uniques.find((u) => u.columnNames.length === 1 && u.columnNames[0] === 'transport');
    if (unique) await q.dropUniqueConstraint(reader, unique);
    await q.createIndex('reader', new TableIndex({ name: 'uq_reader_host_transport', columnNames: ['host', 'transport'], isUnique: true }));
    await q.createTable(
      new Table({
        name: 'cluster_lease',
        columns: [
          { name: 'name', type: 'varchar', length: '120', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'acquired_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('cluster_lease');
    await q.dropIndex('reader', 'uq_reader_host_transport');
    await q.createUniqueConstraint(
      'reader',
      new TableUnique({ name: q.connection.namingStrategy.uniqueConstraintName('reader', ['transport']), columnNames: ['transport'] }),
    );
    await q.dropColumn('door_controller', 'host');
    await q.dropColumn('reader', 'host');
  }
}
