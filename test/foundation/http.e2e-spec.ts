import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { doorsFirst } from '@acs/clock';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_BODY_LIMIT: '2kb' } });
  });
  afterAll(() => t.close());

  it('serves liveness and readiness without a token', async () => {
    const live = await t.http().get('/health').expect(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await t.http().get('/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('lets a badge-in in flight go first: a request arriving meanwhile waits for it before any of its own work', async () => {
    const asked = jest.spyOn(doorsFirst, 'yieldToDoors');
    const end = doorsFirst.begin();
    // then() sends it (supertest sends nothing until asked for the answer).
    const pending = t
      .http()
      .get('/health')
      .then((r) => r);
    try {
      for (let i = 0; i < 5_000 && asked.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
      // Asked while the door work was in flight, it was given a wait (undefined means "go on").
      expect(asked.mock.results[0]?.value).toBeInstanceOf(Promise);
    } finally {
      end();
      asked.mockRestore();
    }
    expect((await pending).status).toBe(200);
  });

  it('serves the OpenAPI document with bearer security and the API docs page', async () => {
    const doc = await t.http().get('/docs/openapi.json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/staff', '/audit', '/health']));
    const page = await t.http().get('/docs').expect(200);
    expect(page.text).toContain('swagger');
  });

  it('answers an anonymous call to a protected route with 401 problem+json', async () => {
    const res = await t.http().get('/staff').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: 'auth.unauthenticated', type: 'urn:acs:problem:auth.unauthenticated' });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('puts a request id on every response and keeps a well-formed caller id', async () => {
    const res = await t.http().get('/health').set('X-Request-Id', 'lb-1234.abc').expect(200);
    expect(res.headers['x-request-id']).toBe('lb-1234.abc');
    const bad = await t.http().get('/health').set('X-Request-Id', 'has spaces <script>').expect(200);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects unknown fields and invalid values with field-level problems and no echo of the values', async () => {
    const res = await t
      .http()
      .post('/staff')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ username: 'Not Valid!', role: 'superuser', isAdmin: true })
      .expect(400);
    expect(res.body.code).toBe('validation.failed');
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['isAdmin', 'role', 'username']);
    expect(JSON.stringify(res.body)).not.toContain('Not Valid!');
    expect(JSON.stringify(res.body)).not.toContain('superuser');
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await t
      .http()
      .post('/staff')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('http.bad_request');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses a body over the configured limit with 413 problem+json', async () => {
    const res = await t
      .http()
      .post('/staff')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ username: 'x'.repeat(4096), role: 'admin' })
      .expect(413);
    expect(res.body.code).toBe('http.payload_too_large');
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const res = await t.http().get('/no/such/route').expect(404);
    expect(res.body.code).toBe('http.not_found');
  });
});
