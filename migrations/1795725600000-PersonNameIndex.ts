import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * The registry's name search index (issue 24, docs/credentials.md §Names: a blind index of word prefixes):
 * keyed hashes (HMAC under a key derived from the customer's data key) of the prefixes of each
 * person's name words, padded with random values to a fixed number of rows per person, so exact
 * and prefix search need not decrypt every name. The primary key serves the lookup (customer,
 * hash); the person's rows go with the person (ON DELETE CASCADE, and the erasure deletes them
 * itself). Existing people are indexed by the server at start-up (it needs their keys).
 */
export class PersonNameIndex1795725600000 implements MigrationInterface {
  name = 'PersonNameIndex1795725600000';

  async up(q: QueryRunner): Promise<void> {
    // Keys and index declared with the table: SQLite cannot add a foreign key later without a rebuild.
    await q.createTable(
      new Table({
        name: 'person_name_index',
        columns: [
          { name: 'customer_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'person_id', type: 'varchar', length: '36', isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'idx_person_name_index_person', columnNames: ['person_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_person_name_index_person',
            columnNames: ['person_id'],
            referencedTableName: 'person',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('person_name_index');
  }
}
