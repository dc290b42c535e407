import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { ClusterLeaseEntity } from './lease.entity.js';

/**
 * Leases in the shared database make a job run on one instance of the cluster at a time
 * (scheduled purges, each erasure job). A lease is taken when free or expired and renewed by
 * taking it again; a holder that dies loses it after CLUSTER_LEASE_S and another instance
 * carries on. Both statements are conditional, so two instances racing for a free lease cannot
 * both win: the conditional update matches for one of them at most, the insert is ignored on
 * conflict, and the row read back names the winner.
 */
/** A lease as its holder knows it. */
export interface HeldLease {
  name: string;
  /** Fencing token (see {@link ClusterLeaseEntity.token}). */
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

@Injectable()
export class LeaseService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  get instanceId(): string {
    return this.config.INSTANCE_ID;
  }

  /** Takes or renews the lease; true when this instance holds it afterwards. */
  async acquire(name: string, ttlMs = this.config.CLUSTER_LEASE_S * 1000): Promise<boolean> {
    return (await this.take(name, ttlMs, true)) !== null;
  }

  /**
   * Takes or renews a lease and returns its fencing token, or null when another instance holds
   * it. With `mayInsert` false a lease nobody has held yet is left alone (only an existing,
   * expired one is taken over), so a device's preferred instance gets the first go at it.
   */
  take(name: string, ttlMs: number, mayInsert: boolean): Promise<HeldLease | null> {
    const me = this.config.INSTANCE_ID;
    return this.writes.transaction(async (m) => {
      const now = this.clock.nowMs();
      const expiresAt = now + ttlMs;
      // A new holder draws a token above every token in the table (fencing: the database and the
      // devices keep the highest they have seen and refuse lower ones). Two different leases taken
      // at once may draw the same number; a device belongs to one lease, so that is harmless.
      await m
        .createQueryBuilder()
        .update(ClusterLeaseEntity)
        .set({
          holder: me,
          expiresAt,
          token: () => `CASE WHEN holder = :me THEN token ELSE (SELECT COALESCE(MAX(t.token), 0) + 1 FROM cluster_lease t) END`,
          acquiredAt: () => `CASE WHEN holder = :me THEN acquired_at ELSE :now END`,
        })
        .where('name = :name AND (holder = :me OR expires_at < :now)', { name, me, now })
        .execute();
      if (mayInsert) {
        await m
          .createQueryBuilder()
          .insert()
          .into(ClusterLeaseEntity)
          .values({ name, holder: me, expiresAt, acquiredAt: now, token: () => '(SELECT COALESCE(MAX(t.token), 0) + 1 FROM cluster_lease t)' })
          .orIgnore()
          .execute();
      }
      const row = await m.findOne(ClusterLeaseEntity, { where: { name } });
      return row?.holder === me && row.expiresAt === expiresAt ? { name, token: row.token, acquiredAt: row.acquiredAt, expiresAt } : null;
    });
  }

  /**
   * Gives the lease up early (job finished), so nobody waits for it to expire. The row stays,
   * expired, so the next holder's token is still drawn above this one.
   */
  async release(name: string): Promise<void> {
    await this.writes.transaction((m) => m.update(ClusterLeaseEntity, { name, holder: this.config.INSTANCE_ID }, { expiresAt: 0 }));
  }

  /** Every lease whose name starts with `prefix`, expired or not (the console's ownership view). */
  async list(prefix: string): Promise<Array<HeldLease & { holder: string }>> {
    const rows = await this.ds
      .getRepository(ClusterLeaseEntity)
      .createQueryBuilder('l')
      .where('l.name LIKE :p', { p: `${prefix}%` })
      .orderBy('l.name')
      .getMany();
    return rows.map((r) => ({ name: r.name, holder: r.holder, token: r.token, acquiredAt: r.acquiredAt, expiresAt: r.expiresAt }));
  }

  async holder(name: string): Promise<{ holder: string; expiresAt: number } | null> {
    const row = await this.ds.getRepository(ClusterLeaseEntity).findOne({ where: { name } });
    return row && row.expiresAt >= this.clock.nowMs() ? { holder: row.holder, expiresAt: row.expiresAt } : null;
  }
}
