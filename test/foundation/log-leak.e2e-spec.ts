import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PERSON, leaks } from '../support/personal-data.js';
import { createCustomer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Personal data reaches the server in bodies, query strings and headers, on success and error
 * paths; none of it may reach a log line. Later contexts add their flows to this run.
 */
describe('logs carry no personal data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('keeps names, e-mail addresses and phone numbers out of every log line', async () => {
    // unknown fields carrying personal data (rejected by validation)
    await t
      .http()
      .post('/staff')
      .set(bearer(t.adminToken))
      .send({ username: 'ok-name', role: 'security', ...PERSON })
      .expect(400);
    // personal data in the query string of a successful and a failing call
    await t.http().get('/audit').query({ q: PERSON.fullName, email: PERSON.email }).set(bearer(t.adminToken)).expect(400);
    await t.http().get('/health').query({ who: PERSON.fullName, phone: PERSON.phone }).expect(200);
    // in headers, including as a bogus bearer token
    await t.http().get('/staff').set('Authorization', `Bearer ${PERSON.email}`).expect(401);
    await t.http().get('/staff').set(bearer(t.adminToken)).set('X-Customer-Contact', PERSON.phone).expect(200);
    // in a path segment
    await t
      .http()
      .delete(`/tokens/${encodeURIComponent(PERSON.fullName)}`)
      .set(bearer(t.adminToken))
      .expect(400);
    // malformed JSON that contains it
    await t.http().post('/staff').set(bearer(t.adminToken)).set('Content-Type', 'application/json').send(`{"name":"${PERSON.fullName}"`).expect(400);

    // named people and a contact person: created, listed, searched, read, corrected, refused
    const c = await createCustomer(t, { contact: { name: PERSON.fullName, email: PERSON.email, phone: PERSON.phone } });
    const p = await post<{ id: string }>(t, `/customers/${c.id}/people`, { fullName: PERSON.fullName, email: PERSON.email, phone: PERSON.phone });
    await t.http().get(`/customers/${c.id}`).set(bearer(t.adminToken)).expect(200);
    await t.http().get(`/customers/${c.id}/people`).query({ q: PERSON.fullName }).set(bearer(t.adminToken)).expect(200);
    await t.http().get('/people').query({ q: PERSON.email }).set(bearer(t.adminToken)).expect(200);
    await t.http().get(`/customers/${c.id}/people/${p.id}`).set(bearer(t.adminToken)).expect(200);
    await t
      .http()
      .patch(`/customers/${c.id}/people/${p.id}`)
      .set(bearer(t.adminToken))
      .send({ fullName: `${PERSON.fullName} Jr` })
      .expect(200);
    await t.http().patch(`/customers/${c.id}/people/${p.id}`).set(bearer(t.adminToken)).send({ email: PERSON.fullName }).expect(400);
    await t.http().post(`/customers/${c.id}/people`).set(bearer(t.adminToken)).send({ fullName: PERSON.fullName, phone: 'call me' }).expect(400);
    await t
      .http()
      .post('/customers')
      .set(bearer(t.adminToken))
      .send({ companyName: 'Dup', contractRef: 'DUP-1', serviceStart: '2026-01-01T00:00:00Z', contact: { name: PERSON.fullName } })
      .expect(201);
    await t
      .http()
      .post('/customers')
      .set(bearer(t.adminToken))
      .send({ companyName: 'Dup', contractRef: 'DUP-1', serviceStart: '2026-01-01T00:00:00Z', contact: { name: PERSON.fullName } })
      .expect(409);

    const text = t.logs.text();
    expect(t.logs.lines().length).toBeGreaterThan(5); // the capture really saw the run
    expect(text).toContain('request completed');
    expect(leaks(text)).toEqual([]);
    expect(text).not.toContain(t.adminToken);
    // nor in the audit trail
    const audit = await t.http().get('/audit').query({ limit: 500 }).set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items.length).toBeGreaterThan(8);
    expect(leaks(JSON.stringify(audit.body))).toEqual([]);
  });
});
