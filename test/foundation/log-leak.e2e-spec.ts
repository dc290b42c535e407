import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PERSON, leaks } from '../support/personal-data.js';
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
    await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'ok-name', role: 'security', ...PERSON }).expect(400);
    // personal data in the query string of a successful and a failing call
    await t.http().get('/audit').query({ q: PERSON.fullName, email: PERSON.email }).set(bearer(t.adminToken)).expect(400);
    await t.http().get('/health').query({ who: PERSON.fullName, phone: PERSON.phone }).expect(200);
    // in headers, including as a bogus bearer token
    await t.http().get('/staff').set('Authorization', `Bearer ${PERSON.email}`).expect(401);
    await t.http().get('/staff').set(bearer(t.adminToken)).set('X-Customer-Contact', PERSON.phone).expect(200);
    // in a path segment
    await t.http().delete(`/tokens/${encodeURIComponent(PERSON.fullName)}`).set(bearer(t.adminToken)).expect(400);
    // malformed JSON that contains it
    await t.http().post('/staff').set(bearer(t.adminToken)).set('Content-Type', 'application/json').send(`{"name":"${PERSON.fullName}"`).expect(400);

    const text = t.logs.text();
    expect(t.logs.lines().length).toBeGreaterThan(5); // the capture really saw the run
    expect(text).toContain('request completed');
    expect(leaks(text)).toEqual([]);
    expect(text).not.toContain(t.adminToken);
  });
});
