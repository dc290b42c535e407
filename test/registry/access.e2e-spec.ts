import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TokenService } from '@acs/auth';
import { PersonEntity } from '@acs/registry';
import { PERSON, leaks } from '../support/personal-data.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { storedBytes } from '../support/raw-store.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface DoorAnswer {
  doorId: string;
  allowed: boolean;
  reason: string;
  until?: string;
}

describe('effective access over HTTP', () => {
  let t: TestApp;
  let site: SiteFixture;
  let customerId: string;
  let personId: string;

  const doorsAt = async (at: string): Promise<Record<string, DoorAnswer>> => {
    const res = await t.http().get(`/customers/${customerId}/people/${personId}/access`).query({ at }).set(bearer(t.adminToken)).expect(200);
    return Object.fromEntries((res.body as DoorAnswer[]).map((d) => [d.doorId, d]));
  };

  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
    const customer = await createCustomer(t, { serviceStart: '2026-01-01T00:00:00+01:00', serviceEnd: '2026-12-01T00:00:00+01:00' });
    customerId = customer.id;
    personId = (await createPerson(t, customerId)).id;
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId, personId });
  });
  afterAll(() => t.close());

  it('follows office hours in local time across the end of daylight saving time', async () => {
    // Friday 2026-10-23 05:30Z is 07:30 CEST: inside 07:00-19:00.
    const friday = await doorsAt('2026-10-23T05:30:00Z');
    expect(friday[site.cageDoorId]).toMatchObject({ allowed: true, reason: 'granted' });
    // Monday 2026-10-26 05:30Z is 06:30 CET: the same UTC time is now before opening.
    const monday = await doorsAt('2026-10-26T05:30:00Z');
    expect(monday[site.cageDoorId]).toMatchObject({ allowed: false, reason: 'outside_schedule' });
    expect((await doorsAt('2026-10-26T06:00:00Z'))[site.cageDoorId]).toMatchObject({ allowed: true });
    // the suite level has no schedule
    expect(monday[site.suiteDoorId]).toMatchObject({ allowed: true, reason: 'granted' });
  });

  it('follows office hours across the start of daylight saving time', async () => {
    // Friday 2026-03-27 06:30Z is 07:30 CET; Monday 2026-03-30 05:30Z is 07:30 CEST.
    expect((await doorsAt('2026-03-27T06:30:00Z'))[site.cageDoorId]).toMatchObject({ allowed: true });
    expect((await doorsAt('2026-03-30T05:30:00Z'))[site.cageDoorId]).toMatchObject({ allowed: true });
    expect((await doorsAt('2026-03-30T04:30:00Z'))[site.cageDoorId]).toMatchObject({ allowed: false, reason: 'outside_schedule' });
  });

  it('ends access at the exact end-of-service instant, with no job needed', async () => {
    const end = Date.parse('2026-12-01T00:00:00+01:00');
    const before = await doorsAt(new Date(end - 1).toISOString());
    expect(before[site.suiteDoorId]).toMatchObject({ allowed: true, until: new Date(end).toISOString() });
    const at = await doorsAt(new Date(end).toISOString());
    expect(at[site.suiteDoorId]).toMatchObject({ allowed: false, reason: 'customer_service_ended' });
  });

  it('lists who may open a door now, with reasons', async () => {
    const suspended = await createPerson(t, customerId, { status: 'suspended' });
    const res = await t.http().get(`/doors/${site.suiteDoorId}/access`).query({ at: '2026-11-26T10:00:00Z' }).set(bearer(t.adminToken)).expect(200);
    const byPerson = Object.fromEntries((res.body as Array<{ personId: string; reason: string }>).map((a) => [a.personId, a.reason]));
    expect(byPerson[personId]).toBe('granted');
    expect(byPerson[suspended.id]).toBe('person_suspended');
  });

  it('answers 404 for a person of another customer, whatever the id', async () => {
    const other = await createCustomer(t);
    const res = await t.http().get(`/customers/${other.id}/people/${personId}/access`).set(bearer(t.adminToken)).expect(404);
    expect(res.body.code).toBe('person.not_found');
  });
});

describe('reader capacity', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses a grant that needs more templates than a reader holds, naming the reader and the numbers', async () => {
    const site = await buildSite(t, { readerCapacity: 3 });
    const customer = await createCustomer(t);
    for (let i = 0; i < 4; i++) await createPerson(t, customer.id);
    const res = await t.http().post('/grants').set(bearer(t.adminToken)).send({ accessLevelId: site.suiteLevelId, customerId: customer.id }).expect(409);
    expect(res.body).toMatchObject({ code: 'reader.capacity_exceeded', capacity: 3, required: 4 });
    expect(res.body.detail).toMatch(/reader "Suite \d+ (entry|exit)" holds 3 templates; this change would need 4/);
    // nothing was stored
    const grants = await t.http().get('/grants').query({ customerId: customer.id }).set(bearer(t.adminToken)).expect(200);
    expect(grants.body.items).toEqual([]);

    // a single person fits, and the load is visible to staff
    const person = await createPerson(t, customer.id);
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: customer.id, personId: person.id });
    const loads = await t.http().get('/reader-loads').set(bearer(t.adminToken)).expect(200);
    expect(loads.body).toEqual(expect.arrayContaining([expect.objectContaining({ readerId: site.entryReaderId, capacity: 3, required: 1, persons: 1 })]));
  });
});

describe('customer isolation', () => {
  let t: TestApp;
  let site: SiteFixture;
  let a: { id: string };
  let b: { id: string };
  let personOfB: { id: string };
  let tokenA: string;

  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
    a = await createCustomer(t);
    b = await createCustomer(t, { contact: { name: 'Contact of B' } });
    await createPerson(t, a.id);
    personOfB = await createPerson(t, b.id);
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: b.id });
    const issued = await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal' });
    tokenA = issued.token;
  });
  afterAll(() => t.close());

  it('lets a customer token read its own customer and people', async () => {
    await t.http().get(`/customers/${a.id}`).set(bearer(tokenA)).expect(200);
    const people = await t.http().get(`/customers/${a.id}/people`).set(bearer(tokenA)).expect(200);
    expect(people.body.items).toHaveLength(1);
  });

  it.each([
    ['another customer', (): string => `/customers/${b.id}`, 403],
    ["another customer's people", (): string => `/customers/${b.id}/people`, 403],
    ["another customer's person by id", (): string => `/customers/${b.id}/people/${personOfB.id}`, 403],
    ["another customer's person under its own customer id", (): string => `/customers/${a.id}/people/${personOfB.id}`, 404],
    ["another customer's person's access under its own id", (): string => `/customers/${a.id}/people/${personOfB.id}/access`, 404],
    ["another customer's grants", (): string => `/customers/${b.id}/grants`, 403],
    ['all grants', (): string => '/grants', 403],
    ['the people search', (): string => `/people?q=a`, 403],
    ['the customer list', (): string => '/customers', 403],
    ["a door's access list", (): string => `/doors/${site.suiteDoorId}/access`, 403],
  ])('refuses %s', async (_what, path, status) => {
    const res = await t.http().get(path()).set(bearer(tokenA)).expect(status);
    expect(JSON.stringify(res.body)).not.toContain('Contact of B');
    expect(res.body.items).toBeUndefined();
  });

  it("shows a customer the zones its grants open, and refuses another customer's", async () => {
    const own = await t.http().get(`/customers/${b.id}/zones`).set(bearer(t.adminToken)).expect(200);
    expect(own.body.map((z: { id: string }) => z.id)).toEqual([site.suiteZoneId]);
    const mine = await t.http().get(`/customers/${a.id}/zones`).set(bearer(tokenA)).expect(200);
    expect(mine.body).toEqual([]);
    await t.http().get(`/customers/${b.id}/zones`).set(bearer(tokenA)).expect(403);
  });

  it('refuses writes with a customer token', async () => {
    const res = await t.http().post(`/customers/${a.id}/people`).set(bearer(tokenA)).send({ fullName: 'Sneaky' }).expect(403);
    expect(res.body.code).toBe('auth.forbidden');
  });

  it('stops a revoked customer token', async () => {
    const issued = await post<{ token: string; id: string }>(t, `/customers/${a.id}/tokens`, {});
    await t.http().delete(`/tokens/${issued.id}`).set(bearer(t.adminToken)).expect(204);
    await t.http().get(`/customers/${a.id}`).set(bearer(issued.token)).expect(401);
    await expect(t.app.get(TokenService).authenticate(issued.token)).resolves.toBeNull();
  });
});

describe('personal data at rest', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('keeps names, e-mail addresses and phone numbers out of the stored data (SQLite file and WAL, or every PostgreSQL column)', async () => {
    const c = await createCustomer(t, { contact: { name: PERSON.fullName, email: PERSON.email, phone: PERSON.phone } });
    const p = await createPerson(t, c.id, { fullName: PERSON.fullName, email: PERSON.email, phone: PERSON.phone });
    const read = await t.http().get(`/customers/${c.id}/people`).query({ q: 'zwanenburg' }).set(bearer(t.adminToken)).expect(200);
    expect(read.body.items[0].fullName).toBe(PERSON.fullName); // the data really is there, encrypted

    const bytes = (await storedBytes(t.dir)).toString('latin1');
    // Positive control: the scan sees the stored row (its name ciphertext, by a unique slice).
    const stored = await t.app.get(DataSource).getRepository(PersonEntity).findOneByOrFail({ id: p.id });
    expect(bytes).toContain(stored.nameCt.slice(60, 108));
    expect(leaks(bytes)).toEqual([]);
    expect(leaks(bytes, ['Zwanenburg', 'voorbeeld-klant', '48213377'])).toEqual([]);
  });
});
