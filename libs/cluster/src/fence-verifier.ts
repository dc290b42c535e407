import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ClusterLeaseEntity } from './lease.entity.js';

/**
 * Tells, inside a caller's transaction, which fences are no longer current: a lease whose token
 * has moved on (or that no longer exists) was taken over, and whatever its old holder sends now
 * is refused. On PostgreSQL the lease rows are held FOR SHARE until the caller commits, so a
 * takeover (an UPDATE of the row) waits for the write it would otherwise race, or the write sees
 * the new token. The access log calls it through its `AppendFence` port.
 */
@Injectable()
export class DeviceFenceVerifier {
  async stale(m: EntityManager, fences: ReadonlyArray<{ lease: string; token: number }>): Promise<Set<string>> {
    const names = [...new Set(fences.map((f) => f.lease))].sort();
    if (names.length === 0) return new Set();
    const qb = m.getRepository(ClusterLeaseEntity).createQueryBuilder('l').where('l.name IN (:...names)', { names });
    if (m.connection.options.type === 'postgres') qb.setLock('pessimistic_read');
    const current = new Map((await qb.getMany()).map((r) => [r.name, r.token]));
    return new Set(fences.filter((f) => current.get(f.lease) !== f.token).map((f) => `${f.lease}#${f.token}`));
  }
}
