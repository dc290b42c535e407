import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failover of network devices between server instances (issue 18): a reader behind a serial
 * device server or a door controller may name a failover group, and is then served by whichever
 * instance holds the lease of its (preferred host, group) pair; every change of lease holder
 * draws a new fencing token, which device commands and access-history appends carry. Plain
 * `ALTER TABLE ADD COLUMN`, so nothing is copied (SQLite would otherwise rebuild the tables).
 */
export class DeviceFailover1795720000000 implements MigrationInterface {
  name = 'DeviceFailover1795720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cluster_lease ADD COLUMN token bigint NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE reader ADD COLUMN failover_group varchar(64) NULL');
    await q.query('ALTER TABLE door_controller ADD COLUMN failover_group varchar(64) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('door_controller', 'failover_group');
    await q.dropColumn('reader', 'failover_group');
    await q.dropColumn('cluster_lease', 'token');
  }
}
