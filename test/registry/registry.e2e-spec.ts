import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('registry over HTTP', () => {
  let t: TestApp;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp();
    site = await buildSite(t);
  });
  afterAll(() => t.close());

  it('creates a customer with an encrypted contact, derives its status, and shows the contact only on a single read', async () => {
    const c = await post<{ id: string; status: string; contact: unknown }>(t, '/customers', {
      companyName: 'Acme Hosting B.V.',
      contractRef: 'COLO-ACME-1',
      serviceStart: '2026-01-01T00:00:00+01:00',
      contact: { name: 'Jan de Vries', email: 'jan@acme.example', phone: '+31 20 123 4567' },
    });
    expect(c).toMatchObject({ status: 'active', contact: { name: 'Jan de Vries', email: 'jan@acme.example' } });
    const list = await t.http().get('/customers').query({ q: 'Acme' }).set(bearer(t.adminToken)).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].contact).toBeUndefined();
    const one = await t.http().get(`/customers/${c.id}`).set(bearer(t.adminToken)).expect(200);
    expect(one.body.contact).toEqual({ name: 'Jan de Vries', email: 'jan@acme.example', phone: '+31 20 123 4567' });

    const ended = await t.http().patch(`/customers/${c.id}`).set(bearer(t.adminToken)).send({ serviceEnd: '2026-11-26T08:00:00Z' }).expect(200);
    expect(ended.body.status).toBe('ended'); // the test clock stands at 2026-11-26T09:00Z
    const byStatus = await t.http().get('/customers').query({ status: 'ended' }).set(bearer(t.adminToken)).expect(200);
    expect(byStatus.body.items.map((i: { id: string }) => i.id)).toContain(c.id);
  });

  it.each([
    ['/customers', { companyName: 'X', contractRef: 'bad ref!', serviceStart: 'yesterday' }, ['contractRef', 'serviceStart']],
    [
      '/customers',
      { companyName: 'X', contractRef: 'R1', serviceStart: '2026-01-01T00:00:00Z', contact: { name: '', email: 'no' } },
      ['contact.email', 'contact.name'],
    ],
    ['/zones', { siteId: 'not-a-uuid', name: 'Z', kind: 'basement' }, ['kind', 'siteId']],
    ['/readers', { siteId: '00000000-0000-4000-8000-000000000000', name: 'R', model: 'R999', transport: 'COM3', role: 'door' }, ['model', 'transport']],
    ['/schedules', { name: 'S', windows: [{ day: 8, start: '7:00', end: '25:00' }] }, ['windows.0.day', 'windows.0.end', 'windows.0.start']],
  ])('rejects invalid input to %s with field problems', async (path, body, fields) => {
    const res = await t.http().post(path).set(bearer(t.adminToken)).send(body).expect(400);
    expect(res.body.code).toBe('validation.failed');
    expect((res.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual(fields);
  });

  it('rejects a schedule whose window ends before it starts, and an unknown time zone', async () => {
    const bad = await t
      .http()
      .post('/schedules')
      .set(bearer(t.adminToken))
      .send({ name: 'Backwards', windows: [{ day: 1, start: '18:00', end: '08:00' }] })
      .expect(400);
    expect(bad.body.code).toBe('schedule.invalid');
    const tz = await t.http().post('/sites').set(bearer(t.adminToken)).send({ name: 'Mars-1', timeZone: 'Mars/Olympus_Mons' }).expect(400);
    expect(tz.body.code).toBe('registry.bad_time_zone');
  });

  it('refuses to delete referenced things with 409 naming what refers to them', async () => {
    const zone = await t.http().delete(`/zones/${site.suiteZoneId}`).set(bearer(t.adminToken)).expect(409);
    expect(zone.body).toMatchObject({ code: 'registry.in_use', referencedBy: { 'child zones': 1, doors: 1, 'access levels': 1 } });
    const reader = await t.http().delete(`/readers/${site.entryReaderId}`).set(bearer(t.adminToken)).expect(409);
    expect(reader.body.referencedBy).toEqual({ doors: 1 });
    const siteDel = await t.http().delete(`/sites/${site.siteId}`).set(bearer(t.adminToken)).expect(409);
    expect(siteDel.body.code).toBe('registry.in_use');
    const customer = await createCustomer(t);
    await createPerson(t, customer.id);
    const cust = await t.http().delete(`/customers/${customer.id}`).set(bearer(t.adminToken)).expect(409);
    expect(cust.body.referencedBy).toEqual({ people: 1 });
  });

  it('deletes an unreferenced thing and answers 404 afterwards', async () => {
    const s = await post<{ id: string }>(t, '/schedules', { name: 'Temp', windows: [] });
    await t.http().delete(`/schedules/${s.id}`).set(bearer(t.adminToken)).expect(204);
    const res = await t.http().get(`/schedules/${s.id}`).set(bearer(t.adminToken)).expect(404);
    expect(res.body.code).toBe('schedule.not_found');
  });

  it('shows controller secrets once, never again, and rotates them', async () => {
    const c = await post<{ id: string; mqttPassword: string; signingSecret: string }>(t, '/controllers', {
      siteId: site.siteId,
      name: 'Spare controller',
      mqttId: 'ams-spare-1',
    });
    expect(c.mqttPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(c.signingSecret, 'base64')).toHaveLength(32);
    const again = await t.http().get(`/controllers/${c.id}`).set(bearer(t.adminToken)).expect(200);
    expect(JSON.stringify(again.body)).not.toContain(c.mqttPassword);
    expect(JSON.stringify(again.body)).not.toContain(c.signingSecret);
    const rotated = await post<{ mqttPassword: string; signingSecret: string }>(t, `/controllers/${c.id}/rotate-secrets`, {});
    expect(rotated.mqttPassword).not.toBe(c.mqttPassword);
    expect(rotated.signingSecret).not.toBe(c.signingSecret);
  });

  it('never returns a reader password and refuses a reader on two doors', async () => {
    const r = await post<{ id: string }>(t, '/readers', {
      siteId: site.siteId,
      name: 'Pw reader',
      model: 'R30x',
      transport: 'tcp://10.0.0.5:4001',
      password: '1A2B3C4D',
      role: 'door',
    });
    const got = await t.http().get(`/readers/${r.id}`).set(bearer(t.adminToken)).expect(200);
    expect(got.body).toMatchObject({ address: 'FFFFFFFF', declaredCapacity: 1000, capacity: null });
    expect(JSON.stringify(got.body)).not.toContain('1A2B3C4D');
    const res = await t
      .http()
      .post('/doors')
      .set(bearer(t.adminToken))
      .send({ zoneId: site.cageZoneId, name: 'Second door on the suite reader', entryReaderId: site.entryReaderId })
      .expect(409);
    expect(res.body.code).toBe('door.reader_in_use');
  });

  it('pages with a keyset cursor in creation order', async () => {
    const customer = await createCustomer(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createPerson(t, customer.id)).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t
        .http()
        .get(`/customers/${customer.id}/people`)
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(bearer(t.adminToken))
        .expect(200);
      seen.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('searches people by name, case- and accent-insensitively, within a customer and across customers', async () => {
    const a = await createCustomer(t);
    const b = await createCustomer(t);
    const jose = await createPerson(t, a.id, { fullName: 'José Álvarez' });
    await createPerson(t, a.id, { fullName: 'Pieter Jansen' });
    const jose2 = await createPerson(t, b.id, { fullName: 'Jose Alvarez-Smit' });
    const inA = await t.http().get(`/customers/${a.id}/people`).query({ q: 'jose alv' }).set(bearer(t.adminToken)).expect(200);
    expect(inA.body.items.map((p: { id: string }) => p.id)).toEqual([jose.id]);
    const all = await t.http().get('/people').query({ q: 'ALVAREZ' }).set(bearer(t.adminToken)).expect(200);
    expect(all.body.items.map((p: { id: string }) => p.id)).toEqual([jose.id, jose2.id]);
  });

  it('rectifies a person and suspends them, both audited', async () => {
    const customer = await createCustomer(t);
    const p = await createPerson(t, customer.id, { fullName: 'Wrong Name' });
    const res = await t
      .http()
      .patch(`/customers/${customer.id}/people/${p.id}`)
      .set(bearer(t.adminToken))
      .send({ fullName: 'Right Name', status: 'suspended' })
      .expect(200);
    expect(res.body).toMatchObject({ fullName: 'Right Name', status: 'suspended' });
    const audit = await t.http().get('/audit').query({ action: 'person.update', targetId: p.id }).set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(JSON.stringify(audit.body)).not.toContain('Right Name');
  });
});
