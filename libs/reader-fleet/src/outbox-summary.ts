import type { DataSource } from 'typeorm';
import { ReaderOpEntity } from './entities.js';

/**
 * The whole reader outbox at a glance (metrics): pending operations over every reader and when
 * the oldest of them was queued (null when none is). One query; no reader, template or slot leaves it.
 */
export async function readerOutboxSummary(ds: DataSource): Promise<{ pending: number; oldestQueuedAt: number | null }> {
  const row = await ds
    .getRepository(ReaderOpEntity)
    .createQueryBuilder('op')
    .select('COUNT(*)', 'pending')
    .addSelect('MIN(op.createdAt)', 'oldest')
    .where('op.state = :state', { state: 'pending' })
    .getRawOne<{ pending: number | string; oldest: number | string | null }>();
  const oldest = row?.oldest;
  return { pending: Number(row?.pending ?? 0), oldestQueuedAt: oldest === null || oldest === undefined ? null : Number(oldest) };
}
