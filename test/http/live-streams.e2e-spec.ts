import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCustomer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

// One customer token opened 1,000 live streams (issue 16, item 8): each holds a subscription and
// a socket. A token gets LIVE_STREAMS_PER_TOKEN at a time.

describe('live streams per token', () => {
  let t: TestApp;
  let port: number;
  let customerId: string;
  let token: string;
  const open: IncomingMessage[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { LIVE_STREAMS_PER_TOKEN: '3' } });
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    customerId = (await createCustomer(t)).id;
    token = (await post<{ token: string }>(t, `/customers/${customerId}/tokens`, {})).token;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await t.close();
  });

  /** Opens a stream and resolves with the response once its headers arrive (status, type). */
  function stream(path: string, bearerToken: string): Promise<{ status: number; type: string; body: Promise<string>; res: IncomingMessage }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${bearerToken}` } }, (res) => {
        const type = String(res.headers['content-type'] ?? '');
        const body = new Promise<string>((done) => {
          if (type.startsWith('text/event-stream')) return done('');
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => done(text));
        });
        if (type.startsWith('text/event-stream')) open.push(res);
        resolve({ status: res.statusCode ?? 0, type, body, res });
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses the stream beyond the limit with 429 and opens one again after another closes', async () => {
    const path = `/customers/${customerId}/monitor/events`;
    const first = [await stream(path, token), await stream(path, token), await stream(path, token)];
    expect(first.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await stream(path, token);
    expect([refused.status, refused.type.split(';')[0], (JSON.parse((await refused.body) || '{}') as { code?: string }).code]).toEqual([
      429,
      'application/problem+json',
      'monitor.too_many_streams',
    ]);

    // Another token is counted on its own.
    const staff = await stream('/monitor/events', t.adminToken);
    expect(staff.status).toBe(200);

    first[0].res.destroy();
    let again = await stream(path, token);
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await sleep(20);
      again = await stream(path, token);
    }
    expect(again.status).toBe(200);
  });
});
