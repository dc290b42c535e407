import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReaderManager } from '@acs/reader-fleet';
import { FAST_READER_OPTIONS } from '@acs/fingerprint/testing';
import { freePort } from '@acs/mqtt/testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A newcomer whose reader is unreachable sees why in the API, not only in the log: /ready's 503 is
 * a problem document naming the failed check and the reader, and the monitor shows the reader's
 * error even though its badge loop never ran.
 */
describe('readiness explains itself', () => {
  let t: TestApp;
  let readerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    t.app.get(ReaderManager).configureDriver({ ...FAST_READER_OPTIONS, reconnect: { initialDelayMs: 20, maxDelayMs: 50, factor: 2, failAfterAttempts: 1 } });
    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const post = async (path: string, body: unknown) =>
      (
        await t
          .http()
          .post(path)
          .set(auth)
          .send(body as object)
          .expect(201)
      ).body as { id: string };
    const site = await post('/sites', { name: 'Ready', timeZone: 'Europe/Amsterdam' });
    const zone = await post('/zones', { siteId: site.id, name: 'Suite R', kind: 'suite' });
    // Nothing listens on this port: the reader fails to open.
    readerId = (await post('/readers', { siteId: site.id, name: 'Unplugged', model: 'R50x', transport: `tcp://127.0.0.1:${await freePort()}`, role: 'door' }))
      .id;
    const controller = await post('/controllers', { siteId: site.id, name: 'Ctl R', mqttId: 'ready-ctl-1' });
    await post('/doors', { zoneId: zone.id, name: 'Suite R door', entryReaderId: readerId, controllerId: controller.id, relayChannel: 1 });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 with the failed check and the reader in the problem document', async () => {
    let res = await t.http().get('/ready');
    for (let i = 0; i < 100 && res.status !== 503; i++) {
      await sleep(50);
      res = await t.http().get('/ready');
    }
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const body = JSON.parse(res.text) as { code: string; detail: string; failed: Array<{ check: string; reason: string }> };
    expect(body.code).toBe('health.not_ready');
    const readers = body.failed.find((f) => f.check === 'readers');
    expect(readers?.reason).toContain(readerId);
    expect(readers?.reason).toMatch(/ECONNREFUSED|disconnected|closed|timeout/i);
    expect(body.detail).toContain('readers');
  });

  it('shows the reader error on the monitor', async () => {
    const res = await t
      .http()
      .get('/monitor/readers')
      .set({ Authorization: `Bearer ${t.adminToken}` })
      .expect(200);
    const view = (res.body as Array<{ readerId: string; readerState: string; lastError: string | null }>).find((r) => r.readerId === readerId);
    expect(view?.readerState).toBe('failed');
    expect(view?.lastError).toEqual(expect.any(String));
  });
});
