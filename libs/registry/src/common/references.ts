import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { ConflictError } from '@acs/http';

export type ReferenceCheck<E extends ObjectLiteral> =
  | {
      entity: EntityTarget<E>;
      where: FindOptionsWhere<E> | Array<FindOptionsWhere<E>>;
      /** Plural noun for the message, e.g. "doors". */
      label: string;
    }
  | { junction: string; column: string; id: string; label: string };

async function countOf(m: EntityManager, c: ReferenceCheck<ObjectLiteral>): Promise<number> {
  if ('entity' in c) return m.count(c.entity, { where: c.where });
  const row = (await m.createQueryBuilder().select('COUNT(*)', 'n').from(c.junction, 'j').where(`j.${c.column} = :id`, { id: c.id }).getRawOne()) as
    { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * Refuses to delete something still referenced, with a 409 that says what refers to it,
 * instead of letting a foreign-key error surface.
 */
export async function assertUnreferenced(m: EntityManager, what: string, checks: Array<ReferenceCheck<ObjectLiteral>>): Promise<void> {
  const blocking: Record<string, number> = {};
  for (const c of checks) {
    const n = await countOf(m, c);
    if (n > 0) blocking[c.label] = n;
  }
  if (Object.keys(blocking).length > 0) {
    const list = Object.entries(blocking)
      .map(([label, n]) => `${n} ${label}`)
      .join(', ');
    throw new ConflictError('registry.in_use', `${what} is still referenced by ${list}; remove those first`, { referencedBy: blocking });
  }
}
