import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { CustomerEntity } from '../entities/customer.entity.js';
import { PersonEntity } from '../entities/person.entity.js';
import { countPersonRows, findErasableCustomer, purgedCustomerIds } from './erasure-reads.js';

const T = Date.parse('2026-12-01T10:00:00Z');

/** Over registry's own customer and person tables in a migrated database. */
describe('registry reads for the erasure', () => {
  let db: TestDatabase;
  let ds: DataSource;

  const customer = (id: string, purgedAt: number | null, serviceEnd: number | null = null): CustomerEntity => ({
    id,
    companyName: `ct:${id}`,
    contractRef: `REF-${id}`,
    serviceStart: T - 1000,
    serviceEnd,
    contactNameCt: null,
    contactEmailCt: null,
    contactPhoneCt: null,
    purgedAt,
    createdAt: T,
    updatedAt: T,
  });
  const person = (id: string, customerId: string) => ({
    id,
    customerId,
    nameCt: 'ct',
    emailCt: null,
    phoneCt: null,
    status: 'active' as const,
    validFrom: null,
    validUntil: null,
    createdAt: T,
    updatedAt: T,
  });

  beforeEach(async () => {
    db = await createLibTestDatabase([CustomerEntity, PersonEntity]);
    ds = db.dataSource;
    await ds.getRepository(CustomerEntity).insert([customer('live', null, T + 5), customer('gone-1', T), customer('gone-2', T - 1)]);
    await ds.getRepository(PersonEntity).insert([person('p1', 'live'), person('p2', 'live'), person('p3', 'gone-1')]);
  });
  afterEach(async () => {
    await db.close();
  });

  it('reads the customer as the erasure records it, and null for one that is not there', async () => {
    expect(await findErasableCustomer(ds.manager, 'live')).toEqual({
      id: 'live',
      contractRef: 'REF-live',
      serviceStart: T - 1000,
      serviceEnd: T + 5,
      purgedAt: null,
    });
    expect(await findErasableCustomer(ds.manager, 'gone-1')).toMatchObject({ purgedAt: T });
    expect(await findErasableCustomer(ds.manager, 'nobody')).toBeNull();
  });

  it('lists exactly the customers marked purged', async () => {
    expect((await purgedCustomerIds(ds.manager)).sort()).toEqual(['gone-1', 'gone-2']);
    await ds.getRepository(CustomerEntity).update({ id: 'gone-2' }, { purgedAt: null });
    expect(await purgedCustomerIds(ds.manager)).toEqual(['gone-1']);
  });

  it.each([
    [{ customerId: 'live' }, 2],
    [{ customerId: 'gone-1' }, 1],
    [{ customerId: 'gone-2' }, 0],
    [{ personId: 'p2' }, 1],
    [{ personId: 'nobody' }, 0],
  ])('counts the person rows of %j: %i', async (subject, n) => {
    expect(await countPersonRows(ds.manager, subject)).toBe(n);
  });
});
