import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from 'typeorm';

const staffFk = () =>
  new TableForeignKey({ columnNames: ['staff_id'], referencedTableName: 'staff_account', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/**
 * Sign-in for people (issue 19): a staff account's password hash and second factor, one-time
 * password-reset tokens, hashed recovery codes and server-side browser sessions. Secrets are
 * stored as hashes (password, reset token, recovery codes, session and CSRF tokens) or sealed
 * with the key ring (the TOTP secret).
 */
export class StaffSignIn1795700000000 implements MigrationInterface {
  name = 'StaffSignIn1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'staff_credential',
        columns: [
          { name: 'staff_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'password_hash', type: 'varchar', length: '255', isNullable: true },
          { name: 'password_set_at', type: 'bigint', isNullable: true },
          { name: 'totp_secret_ct', type: 'text', isNullable: true },
          { name: 'totp_pending_ct', type: 'text', isNullable: true },
          { name: 'totp_enabled_at', type: 'bigint', isNullable: true },
          { name: 'totp_last_step', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [staffFk()],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_password_reset',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_staff_password_reset_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'idx_staff_password_reset_staff', columnNames: ['staff_id'] },
        ],
        foreignKeys: [staffFk()],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_recovery_code',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'idx_staff_recovery_code_staff', columnNames: ['staff_id'] }],
        foreignKeys: [staffFk()],
      }),
    );
    await q.createTable(
      new Table({
        name: 'browser_session',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'csrf_hash', type: 'varchar', length: '64' },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_seen_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_browser_session_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'idx_browser_session_staff', columnNames: ['staff_id'] },
        ],
        foreignKeys: [staffFk()],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('browser_session');
    await q.dropTable('staff_recovery_code');
    await q.dropTable('staff_password_reset');
    await q.dropTable('staff_credential');
  }
}
