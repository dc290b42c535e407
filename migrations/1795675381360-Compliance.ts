import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const at = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });

/** Compliance (issue 9): erasure jobs and certificates, legal holds, data-subject request cases. */
export class Compliance1795675381360 implements MigrationInterface {
  name = 'Compliance1795675381360';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'erasure_job',
        columns: [
          { ...id('id'), isPrimary: true },
          text('kind', 16),
          id('customer_id'),
          id('person_id', true),
          text('state', 24),
          text('step', 24),
          text('trigger', 16),
          text('requested_by', 64, true),
          id('case_id', true),
          { name: 'data', type: 'text' },
          text('last_error', 255, true),
          at('created_at'),
          at('updated_at'),
          at('finished_at', true),
        ],
      }),
    );
    await q.createIndices('erasure_job', [
      new TableIndex({ name: 'idx_erasure_job_state', columnNames: ['state'] }),
      new TableIndex({ name: 'idx_erasure_job_customer', columnNames: ['customer_id'] }),
    ]);

    await q.createTable(
      new Table({
        name: 'erasure_certificate',
        columns: [
          { ...id('id'), isPrimary: true },
          id('job_id'),
          text('kind', 16),
          id('customer_id'),
          id('person_id', true),
          { name: 'complete', type: 'boolean' },
          at('issued_at'),
          { name: 'body', type: 'text' },
          text('hash', 64),
        ],
      }),
    );
    await q.createIndices('erasure_certificate', [
      new TableIndex({ name: 'idx_erasure_certificate_customer', columnNames: ['customer_id'] }),
      new TableIndex({ name: 'idx_erasure_certificate_job', columnNames: ['job_id'] }),
    ]);

    await q.createTable(
      new Table({
        name: 'legal_hold',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          id('person_id', true),
          text('reason', 500),
          text('reference', 100),
          text('placed_by', 64),
          at('placed_at'),
          text('released_by', 64, true),
          at('released_at', true),
          text('release_reason', 500, true),
        ],
      }),
    );
    await q.createIndex('legal_hold', new TableIndex({ name: 'idx_legal_hold_customer', columnNames: ['customer_id'] }));

    await q.createTable(
      new Table({
        name: 'dsr_case',
        columns: [
          { ...id('id'), isPrimary: true },
          text('kind', 16),
          id('person_id'),
          id('customer_id'),
          at('received_at'),
          text('identity_method', 32),
          text('identity_checked_by', 64),
          at('identity_checked_at'),
          at('due_at'),
          { name: 'extended', type: 'boolean' },
          text('extension_reason', 500, true),
          text('status', 16),
          text('outcome', 500, true),
          text('created_by', 64),
          at('created_at'),
          at('closed_at', true),
        ],
      }),
    );
    await q.createIndices('dsr_case', [
      new TableIndex({ name: 'idx_dsr_case_person', columnNames: ['person_id'] }),
      new TableIndex({ name: 'idx_dsr_case_status_due', columnNames: ['status', 'due_at'] }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['dsr_case', 'legal_hold', 'erasure_certificate', 'erasure_job']) await q.dropTable(t);
  }
}
