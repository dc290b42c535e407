import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

const id = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * Card and PIN credentials (issue 17), owned by @acs/credentials. The card number is never a
 * column: only its keyed hash under the customer's key and a two-digit hint. The PIN lives with
 * its card (wrong PINs are counted per card). No foreign keys, as for fingerprint templates:
 * the erasure decides the order in which people and their credentials disappear.
 */
export class Credentials1795700170000 implements MigrationInterface {
  name = 'Credentials1795700170000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'card_credential',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          id('person_id'),
          { name: 'number_hash', type: 'varchar', length: '64' },
          { name: 'format', type: 'varchar', length: '16' },
          { name: 'bit_count', type: 'integer' },
          { name: 'hint', type: 'varchar', length: '2' },
          ms('valid_from', true),
          ms('valid_until', true),
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'pin_hash', type: 'varchar', length: '255', isNullable: true },
          { name: 'pin_failures', type: 'integer', default: 0 },
          ms('pin_locked_at', true),
          ms('pin_set_at', true),
          id('issued_by', true),
          ms('created_at'),
          ms('updated_at'),
        ],
      }),
    );
    await q.createIndices('card_credential', [
      new TableIndex({ name: 'uq_card_credential_customer_hash', columnNames: ['customer_id', 'number_hash'], isUnique: true }),
      new TableIndex({ name: 'idx_card_credential_hash', columnNames: ['number_hash'] }),
      new TableIndex({ name: 'idx_card_credential_person', columnNames: ['person_id'] }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('card_credential');
  }
}
