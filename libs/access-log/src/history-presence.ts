import type { EntityManager } from 'typeorm';
import { AccessEventEntity } from './access-event.entity.js';

/**
 * How many access events still name the customer (a count, never a value): acsctl and the
 * server check with it whether a restored backup brought back history a certificate says was
 * erased. Other libs call this, never AccessEventEntity. A plain function over an EntityManager,
 * because acsctl runs it without a Nest container.
 */
export function countCustomerEvents(m: EntityManager, customerId: string): Promise<number> {
  return m.getRepository(AccessEventEntity).countBy({ customerId });
}
