import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThanOrEqual, MoreThan } from 'typeorm';
import { AccessEventEntity } from './access-event.entity.js';
import type { AccessEvent } from './model.js';

/** What a reader of the feed learns of an event: ids, result and times. */
export type FedEvent = Pick<AccessEvent, 'id' | 'seq' | 'customerId' | 'personId' | 'zoneId' | 'result' | 'kind' | 'occurredAt'>;

const FIELDS = { id: true, seq: true, customerId: true, personId: true, zoneId: true, result: true, kind: true, occurredAt: true } as const;
const fed = (e: AccessEventEntity): FedEvent => ({
  id: e.id,
  seq: e.seq,
  customerId: e.customerId,
  personId: e.personId,
  zoneId: e.zoneId,
  result: e.result,
  kind: e.kind,
  occurredAt: e.occurredAt,
});

/**
 * A customer's chain read in order from a position, for readers that follow the history
 * (notifications of repeated denials). The chain's `seq` is the cursor: every event reaches the
 * chain exactly once (live, or replayed from a degraded instance's spool), on whichever instance
 * wrote it, so a follower of the chain sees them all, once, in chain order.
 */
@Injectable()
export class AttemptFeed {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The chain's last position (0 when empty). */
  async headSeq(chainId: string): Promise<number> {
    const row = await this.ds.getRepository(AccessEventEntity).findOne({ where: { chainId }, order: { seq: 'DESC' }, select: { seq: true } });
    return row?.seq ?? 0;
  }

  /** Events of the chain after `afterSeq`, in chain order (uses the chain's unique index). */
  async after(chainId: string, afterSeq: number, limit: number): Promise<FedEvent[]> {
    const rows = await this.ds
      .getRepository(AccessEventEntity)
      .find({ where: { chainId, seq: MoreThan(afterSeq) }, order: { seq: 'ASC' }, take: limit, select: FIELDS });
    return rows.map(fed);
  }

  /**
   * The person's last `n` attempts at the zone that occurred no later than `at`, newest first
   * (the person's time index, then the zone filter: a person's attempts are few).
   */
  async lastAttemptsAt(personId: string, zoneId: string, at: number, n: number): Promise<FedEvent[]> {
    const rows = await this.ds.getRepository(AccessEventEntity).find({
      where: { personId, zoneId, kind: 'attempt', occurredAt: LessThanOrEqual(at) },
      order: { occurredAt: 'DESC', seq: 'DESC' },
      take: n,
      select: FIELDS,
    });
    return rows.map(fed);
  }
}
