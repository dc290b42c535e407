import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The SIEM export's outbox, owned by @acs/siem: security events waiting for the syslog
 * collector, in order (`seq`, an auto-increment key on both engines: SQLite's INTEGER PRIMARY KEY
 * AUTOINCREMENT never reuses a deleted row's number, PostgreSQL's SERIAL neither).
 */
export class SiemOutbox1795725200000 implements MigrationInterface {
  name = 'SiemOutbox1795725200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'siem_outbox',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'event_id', type: 'varchar', length: '80' },
          { name: 'category', type: 'varchar', length: '32' },
          { name: 'severity', type: 'integer' },
          { name: 'at', type: 'bigint' },
          { name: 'queued_at', type: 'bigint' },
          { name: 'instance', type: 'varchar', length: '64' },
          { name: 'summary', type: 'varchar', length: '200' },
          { name: 'fields', type: 'text' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('siem_outbox');
  }
}
