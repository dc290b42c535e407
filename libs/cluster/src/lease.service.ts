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
    const me = this.config.INSTANCE_ID;
    return this.writes.transaction(async (m) => {
      const now = this.clock.nowMs();
      const expiresAt = now + ttlMs;
      await m
        .createQueryBuilder()
        .update(ClusterLeaseEntity)
        .set({ holder: me, expiresAt })
        .where('name = :name AND (holder = :me OR expires_at < :now)', { name, me, now })
        .execute();
      await m.createQueryBuilder().insert().into(ClusterLeaseEntity).values({ name, holder: me, expiresAt, acquiredAt: now }).orIgnore().execute();
      const row = await m.findOne(ClusterLeaseEntity, { where: { name } });
      return row?.holder === me && row.expiresAt === expiresAt;
    });
  }

  /** Gives the lease up early (job finished), so nobody waits for it to expire. */
  async release(name: string): Promise<void> {
    await this.writes.transaction((m) => m.delete(ClusterLeaseEntity, { name, holder: this.config.INSTANCE_ID }));
  }

  async holder(name: string): Promise<{ holder: string; expiresAt: number } | null> {
    const row = await this.ds.getRepository(ClusterLeaseEntity).findOne({ where: { name } });
    return row && row.expiresAt >= this.clock.nowMs() ? { holder: row.holder, expiresAt: row.expiresAt } : null;
  }
}
