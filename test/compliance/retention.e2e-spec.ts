import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, IsNull, Not } from 'typeorm';
import { AccessEventEntity, AccessLogService } from '@acs/access-log';
import { ErasureService } from '@acs/compliance';
import { bearer, buildSite, createCustomer, createPerson, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { endService } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';

const DAY = 86_400_000;

/** The configurable alternative: identity stripped at end of service, history kept N days, then deleted. */
describe('history retention: pseudonymise and keep', () => {
  let t: TestApp;
  let site: SiteFixture;

  beforeAll(async () => {
    t = await startTestApp({
      env: { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false', HISTORY_RETENTION: 'pseudonymise', HISTORY_KEEP_DAYS: '30', PURGE_GRACE_DAYS: '2' },
    });
    site = await buildSite(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('strips every person id, re-links the chain, keeps the events, and deletes them once the keeping period is over', async () => {
    const customer = await createCustomer(t);
    const a = await createPerson(t, customer.id);
    const b = await createPerson(t, customer.id);
    const log = t.app.get(AccessLogService);
    const inputs = [a.id, b.id, a.id, a.id, b.id].map((personId, i) => ({
      customerId: customer.id,
      personId,
      siteId: site.siteId,
      direction: 'entry' as const,
      result: 'granted' as const,
      reason: 'granted',
      occurredAt: t.clock.nowMs() - (10 - i) * 1000,
    }));
    await Promise.all(log.append(inputs).map((r) => r.durable));
    const before = await log.verify(customer.id);

    const retention = await t.http().get(`/customers/${customer.id}/access-events/retention`).set(bearer(t.adminToken)).expect(200);
    expect(retention.body.policy).toMatchObject({ graceDays: 2, source: 'configuration' });

    await endService(t, customer.id);
    const eraser = t.app.get(ErasureService);
    // The grace period: not due yet.
    await expect(eraser.dueCustomers()).resolves.not.toContain(customer.id);
    t.clock.advance(2 * DAY);
    const { started } = await eraser.runScheduled();
    expect(started).toHaveLength(1);
    await waitForErasure(eraser, started[0]);

    const ds = t.app.get(DataSource);
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId: customer.id })).resolves.toBe(5);
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId: customer.id, personId: Not(IsNull()) })).resolves.toBe(0);
    const after = await log.verify(customer.id);
    expect(after).toMatchObject({ ok: true, checked: 5, headSeq: 5 });
    expect(after.headHash).not.toBe(before.headHash);
    const [c] = await eraser.certificates({ customerId: customer.id });
    const cert = await eraser.certificate(c.id);
    expect(cert.body.history).toMatchObject({ mode: 'pseudonymise', events: 5, erasedHeadHash: before.headHash, newHeadHash: after.headHash, expiredAt: null });

    t.clock.advance(10 * DAY);
    await expect(eraser.runScheduled()).resolves.toEqual({ started: [], historyExpired: 0 });
    t.clock.advance(30 * DAY);
    await expect(eraser.runScheduled()).resolves.toEqual({ started: [], historyExpired: 1 });
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId: customer.id })).resolves.toBe(0);
    const job = await eraser.job(started[0]);
    expect(job.state).toBe('done');
  });
});
