import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Reproductions from issue 16 (HTTP items 6-8), each answered by a 4xx with a stable code.

const cursorOf = (key: string) => Buffer.from(key).toString('base64url');

describe('crafted input never answers 500', () => {
  let t: TestApp;
  let customerId: string;
  let customerToken: string;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
    customerId = (await createCustomer(t)).id;
    customerToken = (await post<{ token: string }>(t, `/customers/${customerId}/tokens`, {})).token;
  });
  afterAll(() => t.close());

  it.each([
    ['a customer token on its own history', () => `/customers/${customerId}/access-events`, 'customer', '{"t":1e400,"id":"x"}'],
    ['a customer token, negative infinity', () => `/customers/${customerId}/access-events`, 'customer', '{"t":-1e400,"id":"x"}'],
    ['a fraction', () => `/customers/${customerId}/access-events`, 'customer', '{"t":1.5,"id":"x"}'],
    ['door history', () => `/doors/${site.suiteDoorId}/access-events`, 'admin', '{"t":1e400,"id":"x"}'],
    ['the audit trail', () => '/audit', 'admin', '{"seq":1e400}'],
    ['the audit trail, beyond safe integers', () => '/audit', 'admin', '{"seq":1e300}'],
    ['a cursor that is JSON null', () => '/audit', 'admin', 'null'],
  ])('a page cursor holding a non-finite number: %s', async (_what, path, who, key) => {
    const res = await t
      .http()
      .get(path())
      .query({ cursor: cursorOf(key) })
      .set(bearer(who === 'customer' ? customerToken : t.adminToken));
    expect([res.status, res.body.code]).toEqual([400, 'pagination.bad_cursor']);
  });

  it('refuses JSON nested 2,000 deep (under the body limit) with 400 and a stable code', async () => {
    const deep = `{"name":"Deep","timeZone":"Europe/Amsterdam","x":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const res = await t.http().post('/sites').set(bearer(t.adminToken)).set('Content-Type', 'application/json').send(deep);
    expect([res.status, res.body.code]).toEqual([400, 'http.body_too_deep']);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('still accepts an ordinary nested body', async () => {
    const res = await t
      .http()
      .post('/schedules')
      .set(bearer(t.adminToken))
      .send({ name: 'Nights', timeZone: 'Europe/Amsterdam', windows: [{ day: 1, start: '19:00', end: '24:00' }] });
    expect(res.status).toBe(201);
  });
});

describe('text fields', () => {
  let t: TestApp;
  let customerId: string;
  beforeAll(async () => {
    t = await startTestApp();
    customerId = (await createCustomer(t)).id;
  });
  afterAll(() => t.close());

  const bad: Array<[string, string]> = [
    ['NUL', 'Jan\u0000de Vries'],
    ['a terminal escape', '\u001b[2J\u001b[31mJan'],
    ['a right-to-left override', 'Eve\u202Egnp.exe'],
    ['whitespace only', '   '],
    ['a newline', 'Jan\nde Vries'],
  ];

  it.each(bad)('refuses a person name with %s, naming the field', async (_what, fullName) => {
    const res = await t.http().post(`/customers/${customerId}/people`).set(bearer(t.adminToken)).send({ fullName });
    expect([res.status, res.body.code]).toEqual([400, 'validation.failed']);
    expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toEqual(['fullName']);
    expect(JSON.stringify(res.body)).not.toContain('Jan');
  });

  it.each(bad)('refuses a company name and a site name with %s', async (_what, name) => {
    const company = await t
      .http()
      .post('/customers')
      .set(bearer(t.adminToken))
      .send({ companyName: name, contractRef: 'COLO-TXT-1', serviceStart: '2026-01-01T00:00:00Z' });
    const site = await t.http().post('/sites').set(bearer(t.adminToken)).send({ name, timeZone: 'Europe/Amsterdam' });
    expect([company.status, company.body.errors?.[0]?.field, site.status, site.body.errors?.[0]?.field]).toEqual([400, 'companyName', 400, 'name']);
  });

  it('refuses a rename to a blank name', async () => {
    const person = await createPerson(t, customerId);
    const res = await t.http().patch(`/customers/${customerId}/people/${person.id}`).set(bearer(t.adminToken)).send({ fullName: '\u00a0' });
    expect([res.status, res.body.errors?.[0]?.field]).toEqual([400, 'fullName']);
  });

  it('stores names in NFC, so the two spellings of one name are one string', async () => {
    const person = await createPerson(t, customerId, { fullName: 'Zoe\u0308 Ange\u0301lique' });
    const read = await t.http().get(`/customers/${customerId}/people/${person.id}`).set(bearer(t.adminToken)).expect(200);
    expect(read.body.fullName).toBe('Zo\u00eb Ang\u00e9lique');
    const site = await post<{ name: string }>(t, '/sites', { name: 'Rotterdam-Zu\u0308d', timeZone: 'Europe/Amsterdam' });
    expect(site.name).toBe('Rotterdam-Z\u00fcd');
  });
});

describe('smaller HTTP defects', () => {
  let t: TestApp;
  let customerId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_BODY_LIMIT: '2kb' } });
    customerId = (await createCustomer(t)).id;
  });
  afterAll(() => t.close());

  it('audits a call refused for a malformed id with the code the client got', async () => {
    const res = await t.http().get(`/customers/${customerId}/people/not-a-uuid`).set(bearer(t.adminToken));
    expect(res.status).toBe(400);
    const audit = await t.http().get('/audit').query({ action: 'person.read', outcome: 'failure' }).set(bearer(t.adminToken)).expect(200);
    const entry = (audit.body.items as Array<{ requestId: string; details: { code: string } }>).find((e) => e.requestId === res.headers['x-request-id']);
    expect(entry?.details.code).toBe(res.body.code);
    expect(res.body.code).not.toBe('internal');
  });

  it('answers personal data with Cache-Control: no-store', async () => {
    const person = await createPerson(t, customerId);
    const paths = [`/customers/${customerId}/people/${person.id}`, `/customers/${customerId}/people`, `/customers/${customerId}`, '/auth/me'];
    for (const path of paths) {
      const res = await t.http().get(path).set(bearer(t.adminToken));
      expect({ path, status: res.status, cache: res.headers['cache-control'] }).toEqual({ path, status: 200, cache: 'no-store' });
    }
    const refused = await t.http().get('/staff');
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('refuses a token listing filtered by something that is not an id (PostgreSQL answered 500)', async () => {
    for (const staffId of ['not-a-uuid', '\u0000']) {
      const res = await t.http().get('/tokens').query({ staffId }).set(bearer(t.adminToken));
      expect([res.status, res.body.code, res.body.errors?.[0]?.field]).toEqual([400, 'validation.failed', 'staffId']);
    }
  });

  it('answers an unknown route without repeating the URL', async () => {
    const res = await t.http().get('/no/such/route').query({ q: 'jan.devries@example.com' }).set(bearer(t.adminToken));
    expect([res.status, res.body.code]).toEqual([404, 'http.not_found']);
    expect(res.text).not.toContain('jan.devries');
  });

  it('puts the request id on the JSON parser 400 and 413', async () => {
    const malformed = await t.http().post('/sites').set(bearer(t.adminToken)).set('Content-Type', 'application/json').send('{"name": ');
    const large = await t
      .http()
      .post('/sites')
      .set(bearer(t.adminToken))
      .send({ name: 'x'.repeat(4096) });
    expect([malformed.status, large.status]).toEqual([400, 413]);
    expect(malformed.body.requestId).toBe(malformed.headers['x-request-id']);
    expect(large.body.requestId).toBe(large.headers['x-request-id']);
    expect(typeof large.body.requestId).toBe('string');
  });
});
