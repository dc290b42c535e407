import { IsNull, Not, type EntityManager } from 'typeorm';
import { CustomerEntity } from '../entities/customer.entity.js';
import { PersonEntity } from '../entities/person.entity.js';
import type { ErasableCustomer } from '../people/person-data-erasure.js';

// Reads of registry's customer and person tables for the erasure's bookkeeping (what a job
// records, what a restored backup brought back, which chains an erasure may have shortened).
// Other libs call these, never CustomerEntity or PersonEntity. Plain functions over an
// EntityManager, because acsctl runs them without a Nest container.

/** The customer as an erasure records it, or null when there is no such row (never was, or gone). */
export async function findErasableCustomer(m: EntityManager, id: string): Promise<ErasableCustomer | null> {
  const c = await m.getRepository(CustomerEntity).findOne({
    where: { id },
    select: { id: true, contractRef: true, serviceStart: true, serviceEnd: true, purgedAt: true },
  });
  return c ? { id: c.id, contractRef: c.contractRef, serviceStart: c.serviceStart, serviceEnd: c.serviceEnd, purgedAt: c.purgedAt } : null;
}

/** Ids of every customer marked purged. */
export async function purgedCustomerIds(m: EntityManager): Promise<string[]> {
  const rows = await m.getRepository(CustomerEntity).find({ where: { purgedAt: Not(IsNull()) }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** How many person rows a customer, or one person, has (a count, never a value). */
export function countPersonRows(m: EntityManager, subject: { customerId: string } | { personId: string }): Promise<number> {
  return m.getRepository(PersonEntity).countBy('customerId' in subject ? { customerId: subject.customerId } : { id: subject.personId });
}
