import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });

/** Enrolment (issue 6): encrypted templates, reader slot bookkeeping, the reader outbox, reconciliations. */
export class Enrollment1795673547839 implements MigrationInterface {
  name = 'Enrollment1795673547839';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fingerprint_template',
        columns: [
          { ...id('id'), isPrimary: true },
          id('person_id'),
          id('customer_id'),
          { name: 'finger', type: 'integer' },
          { name: 'template_ct', type: 'text' },
          { name: 'model', type: 'varchar', length: '16' },
          { name: 'format', type: 'varchar', length: '32' },
          { name: 'size', type: 'integer' },
          { name: 'quality', type: 'integer' },
          id('enrolled_by', true),
          { name: 'enrolled_at', type: 'bigint' },
        ],
      }),
    );
    await q.createIndices('fingerprint_template', [
      new TableIndex({ name: 'uq_fingerprint_template_person_finger', columnNames: ['person_id', 'finger'], isUnique: true }),
      new TableIndex({ name: 'idx_fingerprint_template_customer', columnNames: ['customer_id'] }),
    ]);

    await q.createTable(
      new Table({
        name: 'reader_slot',
        columns: [
          { ...id('reader_id'), isPrimary: true },
          { name: 'slot', type: 'integer', isPrimary: true },
          id('template_id'),
          id('person_id'),
          id('customer_id'),
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await q.createIndices('reader_slot', [
      new TableIndex({ name: 'idx_reader_slot_template', columnNames: ['template_id'] }),
      new TableIndex({ name: 'idx_reader_slot_person', columnNames: ['person_id'] }),
      new TableIndex({ name: 'idx_reader_slot_customer', columnNames: ['customer_id'] }),
    ]);

    await q.createTable(
      new Table({
        name: 'reader_op',
        columns: [
          { ...id('id'), isPrimary: true },
          { name: 'seq', type: 'integer' },
          id('reader_id'),
          { name: 'kind', type: 'varchar', length: '8' },
          id('template_id', true),
          { name: 'slot', type: 'integer', isNullable: true },
          { name: 'state', type: 'varchar', length: '8' },
          { name: 'attempts', type: 'integer' },
          { name: 'last_error', type: 'varchar', length: '255', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'done_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await q.createIndex('reader_op', new TableIndex({ name: 'idx_reader_op_reader_state_seq', columnNames: ['reader_id', 'state', 'seq'] }));

    await q.createTable(
      new Table({
        name: 'reader_reconciliation',
        columns: [
          { ...id('id'), isPrimary: true },
          id('reader_id'),
          { name: 'at', type: 'bigint' },
          { name: 'found', type: 'integer' },
          { name: 'expected', type: 'integer' },
          { name: 'missing_pushed', type: 'integer' },
          { name: 'ghosts_deleted', type: 'integer' },
          { name: 'error', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
    await q.createIndex('reader_reconciliation', new TableIndex({ name: 'idx_reader_reconciliation_reader_at', columnNames: ['reader_id', 'at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('reader_reconciliation');
    await q.dropTable('reader_op');
    await q.dropTable('reader_slot');
    await q.dropTable('fingerprint_template');
  }
}
