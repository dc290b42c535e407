import { Between, type EntityManager } from 'typeorm';
import { GrantEntity } from '../entities/access.entity.js';

/** A grant as a reminder of its end names it: ids and the end date, nothing about the person. */
export interface EndingGrant {
  id: string;
  customerId: string;
  /** Null: the grant is the whole customer's. */
  personId: string | null;
  accessLevelId: string;
  validUntil: number;
}

/**
 * Grants whose end falls in `[from, to]` (epoch ms), for the notifications' reminder. A plain
 * read over an EntityManager (the registry owns `access_grant`); bounded by `limit`, oldest end
 * first, so a caller pages with a later `from`.
 */
export async function grantsEndingBetween(m: EntityManager, from: number, to: number, limit = 500): Promise<EndingGrant[]> {
  const rows = await m.getRepository(GrantEntity).find({
    where: { validUntil: Between(from, to) },
    order: { validUntil: 'ASC', id: 'ASC' },
    take: limit,
    select: { id: true, customerId: true, personId: true, accessLevelId: true, validUntil: true },
  });
  return rows.map((g) => ({ id: g.id, customerId: g.customerId, personId: g.personId, accessLevelId: g.accessLevelId, validUntil: g.validUntil! }));
}
