import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from 'typeorm';

const staffFk = () =>
  new TableForeignKey({ columnNames: ['staff_id'], referencedTableName: 'staff_account', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/**
 * Passkeys (WebAuthn public-key credentials) as a second factor for staff (issue 19): the
 * registered credentials, and the single-use challenges of the ceremonies under way. Only public
 * material is stored: the credential id and its COSE public key; the challenge row holds the
 * random challenge and, for a sign-in, the SHA-256 of the pending sign-in token.
 */
export class StaffPasskeys1795721500000 implements MigrationInterface {
  name = 'StaffPasskeys1795721500000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'staff_passkey',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'staff_id', type: 'varchar', length: '36' },
          // WebAuthn Level 3 §4 (credential ID): at most 1023 bytes, so at most 1364 base64url characters.
          { name: 'credential_id', type: 'varchar', length: '1400' },
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint' },
          { name: 'transports', type: 'varchar', length: '255' },
          { name: 'label', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_staff_passkey_credential', columnNames: ['credential_id'], isUnique: true },
          { name: 'idx_staff_passkey_staff', columnNames: ['staff_id'] },
        ],
        foreignKeys: [staffFk()],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_passkey_challenge',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'session_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'challenge', type: 'varchar', length: '128' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'idx_staff_passkey_challenge_staff', columnNames: ['staff_id'] },
          { name: 'uq_staff_passkey_challenge_token', columnNames: ['token_hash'], isUnique: true },
        ],
        foreignKeys: [staffFk()],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('staff_passkey_challenge');
    await q.dropTable('staff_passkey');
  }
}
