import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Signed evidence (issue 15): every erasure certificate carries its JWS (Ed25519, signing key
 * ring outside the database). Null for certificates issued before signing existed.
 */
export class EvidenceSignatures1795690412000 implements MigrationInterface {
  name = 'EvidenceSignatures1795690412000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('erasure_certificate', new TableColumn({ name: 'jws', type: 'text', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('erasure_certificate', 'jws');
  }
}
