import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Single sign-on for staff through OpenID Connect: the link from a staff account to its
 * (issuer, subject) at a provider, and the sign-ins started but not yet answered (state, nonce
 * and PKCE verifier, each used once).
 */
export class StaffSingleSignOn1795720500000 implements MigrationInterface {
  name = 'StaffSingleSignOn1795720500000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'staff_external_identity',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'issuer', type: 'varchar', length: '255' },
          { name: 'subject', type: 'varchar', length: '255' },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_sign_in_at', type: 'bigint' },
        ],
        indices: [
          { name: 'uq_staff_external_identity', columnNames: ['issuer', 'subject'], isUnique: true },
          { name: 'idx_staff_external_identity_staff', columnNames: ['staff_id'] },
        ],
        foreignKeys: [{ columnNames: ['staff_id'], referencedTableName: 'staff_account', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_oidc_attempt',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'state_hash', type: 'varchar', length: '64' },
          { name: 'binding_hash', type: 'varchar', length: '64' },
          { name: 'code_verifier', type: 'varchar', length: '128' },
          { name: 'nonce', type: 'varchar', length: '128' },
          { name: 'replaces_session_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [
          { name: 'uq_staff_oidc_attempt_state', columnNames: ['state_hash'], isUnique: true },
          { name: 'idx_staff_oidc_attempt_expires', columnNames: ['expires_at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('staff_oidc_attempt');
    await q.dropTable('staff_external_identity');
  }
}
