import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Degraded mode (issue 18): an access event decided while the database was unreachable, committed
 * first to the instance's local spool and replayed into the history later, says so. Plain
 * ALTER TABLE ... ADD COLUMN on both engines (TypeORM's addColumn rebuilds a SQLite table); every
 * existing row is not degraded, and its hash does not cover the column (access-chain.ts).
 */
export class DegradedMode1795722500000 implements MigrationInterface {
  name = 'DegradedMode1795722500000';

  async up(q: QueryRunner): Promise<void> {
    // Each engine's own spelling of the default, as TypeORM reads it back (SQLite keeps booleans as 0/1).
    const no = q.connection.options.type === 'postgres' ? 'false' : '(0)';
    await q.query(`ALTER TABLE access_event ADD COLUMN degraded boolean NOT NULL DEFAULT ${no}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('access_event', 'degraded');
  }
}
