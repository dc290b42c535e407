import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Staff accounts and tokens, the audit trail and the data-key table. Written with TypeORM's
 * schema API (not raw SQL) so the same migration runs on PostgreSQL.
 */
export class Foundation1795671853739 implements MigrationInterface {
  name = 'Foundation1795671853739';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'data_key',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'scope', type: 'varchar', length: '100' },
          { name: 'wrapped_key', type: 'text' },
          { name: 'master_key_id', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'rewrapped_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'uq_data_key_scope', columnNames: ['scope'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_account',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64', isUnique: true },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
          { name: 'disabled_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_token',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'staff_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'customer_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'label', type: 'varchar', length: '100', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_api_token_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'idx_api_token_customer', columnNames: ['customer_id'] },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['staff_id'],
            referencedTableName: 'staff_account',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_entry',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true },
          { name: 'id', type: 'varchar', length: '36', isUnique: true },
          { name: 'at', type: 'bigint' },
          { name: 'actor_type', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'role', type: 'varchar', length: '16', isNullable: true },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'target_type', type: 'varchar', length: '32', isNullable: true },
          { name: 'target_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'request_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'details', type: 'text', isNullable: true },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    await q.createIndices('audit_entry', [
      new TableIndex({ name: 'idx_audit_at', columnNames: ['at'] }),
      new TableIndex({ name: 'idx_audit_target', columnNames: ['target_type', 'target_id'] }),
      new TableIndex({ name: 'idx_audit_actor', columnNames: ['actor_id'] }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_entry');
    await q.dropTable('api_token');
    await q.dropTable('staff_account');
    await q.dropTable('data_key');
  }
}
