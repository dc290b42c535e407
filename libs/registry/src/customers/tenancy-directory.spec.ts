import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase, createLibTestDatabaseOn, type Engine, ENGINES } from '../../../../test/support/lib-database.js';
import { planOf, queriesOf } from '../../../../test/support/query-plan.js';
import { CustomerEntity, SiteEntity } from '../entities/index.js';
import { TenancyDirectory, tenancyIds } from './tenancy-directory.js';

const AT = Date.parse('2026-12-01T09:00:00Z');
const END = Date.parse('2026-06-30T22:00:00Z');

const customer = (id: string, serviceEnd: number | null, purgedAt: number | null) => ({
  id,
  companyName: `Company ${id}`,
  contractRef: `REF-${id}`,
  serviceStart: AT - 1000,
  serviceEnd,
  contactNameCt: 'sealed-name',
  contactEmailCt: 'sealed-email',
  contactPhoneCt: null,
  purgedAt,
  createdAt: AT,
  updatedAt: AT,
});

/** Three customers (one purged) and two sites. */
async function seed(ds: DataSource): Promise<void> {
  await ds.getRepository(CustomerEntity).insert([customer('c-2', null, null), customer('c-1', END, END + 1), customer('c-3', END, null)]);
  await ds.getRepository(SiteEntity).insert([
    { id: 's-ams', name: 'AMS1', timeZone: 'Europe/Amsterdam', createdAt: AT },
    { id: 's-nyc', name: 'NYC1', timeZone: 'America/New_York', createdAt: AT },
  ]);
}

/** The directory over the registry's customer and site tables, in a migrated database. */
describe(TenancyDirectory.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let directory: TenancyDirectory;

  beforeEach(async () => {
    db = await createLibTestDatabase([CustomerEntity, SiteEntity]);
    ds = db.dataSource;
    directory = new TenancyDirectory(ds);
    await seed(ds);
  });
  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['c-1', { id: 'c-1', serviceEnd: END, purgedAt: END + 1 }],
    ['c-2', { id: 'c-2', serviceEnd: null, purgedAt: null }],
    ['c-3', { id: 'c-3', serviceEnd: END, purgedAt: null }],
    ['c-missing', null],
  ])('customerTerm(%s) gives the contract dates retention needs', async (id, term) => {
    const got = await directory.customerTerm(id);
    expect(got === null ? null : { ...got }).toEqual(term);
  });

  it('lets no name, contract reference or contact ciphertext out with the term', async () => {
    const text = JSON.stringify(await directory.customerTerm('c-1'));
    for (const leaked of ['Company', 'REF-', 'sealed']) expect(text).not.toContain(leaked);
  });

  it('lists every customer id in id order, purged ones included', async () => {
    expect(await directory.customerIds()).toEqual(['c-1', 'c-2', 'c-3']);
  });

  it.each([
    [
      'every site',
      undefined,
      [
        ['s-ams', 'Europe/Amsterdam'],
        ['s-nyc', 'America/New_York'],
      ],
    ],
    ['the sites asked for', ['s-nyc'], [['s-nyc', 'America/New_York']]],
    ['a removed site left out', ['s-ams', 's-gone'], [['s-ams', 'Europe/Amsterdam']]],
    ['none asked, none given', [], []],
  ] as const)('siteTimeZones: %s', async (_, ids, zones) => {
    const got = await directory.siteTimeZones(ids);
    expect([...got.entries()].sort()).toEqual(zones);
  });

  it('does not query for an empty list of sites', async () => {
    const find = jest.spyOn(ds.manager, 'find');
    expect((await directory.siteTimeZones([])).size).toBe(0);
    expect(find).not.toHaveBeenCalled();
  });
});

const TENANCY_PLAN: Record<Engine, RegExp> = {
  sqlite: /SCAN customer USING COVERING INDEX[\s\S]*SCAN site USING COVERING INDEX/,
  postgres: /^Append[\s\S]* on customer[\s\S]* on site/,
};

/** The plain read compliance's checkpoints call, on the migrated schema of both engines. */
describe.each(ENGINES)('tenancyIds on %s', (engine) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, [CustomerEntity, SiteEntity]);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('gives no ids before there is a customer or a site', async () => {
    await expect(tenancyIds(db.dataSource.manager)).resolves.toEqual({ customerIds: [], siteIds: [] });
  });

  it('gives every customer id, purged ones included, and every site id, in one query over the primary keys', async () => {
    await seed(db.dataSource);
    const { result, queries } = await queriesOf(db.dataSource, () => tenancyIds(db.dataSource.manager));
    expect({ customerIds: [...result.customerIds].sort(), siteIds: [...result.siteIds].sort() }).toEqual({
      customerIds: ['c-1', 'c-2', 'c-3'],
      siteIds: ['s-ams', 's-nyc'],
    });
    expect(queries).toHaveLength(1);
    // Reading every id is the point: two plain reads, nothing sorted or joined; SQLite reads the ids from the primary-key indexes alone.
    const plan = (await planOf(db.dataSource, queries[0])).join('\n');
    expect(plan).toMatch(TENANCY_PLAN[engine]);
    expect(plan).not.toMatch(/Sort|Join|Nested Loop|TEMP B-TREE/);
  });
});
