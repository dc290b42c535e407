import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CustomerEntity, SiteEntity } from '../entities/index.js';
import { TenancyDirectory } from './tenancy-directory.js';

const AT = Date.parse('2026-12-01T09:00:00Z');
const END = Date.parse('2026-06-30T22:00:00Z');

/** The directory over the registry's customer and site tables in memory. */
describe(TenancyDirectory.name, () => {
  let ds: DataSource;
  let directory: TenancyDirectory;

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

  beforeEach(async () => {
    ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [CustomerEntity, SiteEntity], synchronize: true });
    await ds.initialize();
    directory = new TenancyDirectory(ds);
    await ds.getRepository(CustomerEntity).insert([customer('c-2', null, null), customer('c-1', END, END + 1), customer('c-3', END, null)]);
    await ds.getRepository(SiteEntity).insert([
      { id: 's-ams', name: 'AMS1', timeZone: 'Europe/Amsterdam', createdAt: AT },
      { id: 's-nyc', name: 'NYC1', timeZone: 'America/New_York', createdAt: AT },
    ]);
  });
  afterEach(async () => {
    await ds.destroy();
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
