import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Failed-authentication counters shared by several server instances on PostgreSQL (issue 16):
 * the layout rate-limiter-flexible's RateLimiterPostgres reads and writes (key, points, expire in
 * epoch milliseconds). Created on SQLite too so both databases carry the same schema; a single
 * SQLite server keeps its counters in memory.
 */
export class AuthFailuresHttpHardening1795690000000 implements MigrationInterface {
  name = 'AuthFailuresHttpHardening1795690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'auth_failure',
        columns: [
          { name: 'key', type: 'varchar', length: '255', isPrimary: true },
          { name: 'points', type: 'integer', default: 0 },
          { name: 'expire', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('auth_failure');
  }
}
