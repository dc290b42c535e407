import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessEvent } from '@acs/access-log';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { attempt, getAll, type HistoryFixture, historyFixture } from './support.js';

describe('access history customer isolation', () => {
  let t: TestApp;
  let f: HistoryFixture;
  let ofB: AccessEvent[];

  beforeAll(async () => {
    t = await startTestApp();
    f = await historyFixture(t);
    await f.log.appendDurable([attempt(f, 'a', '2026-11-25T08:00:00Z'), attempt(f, 'a', '2026-11-25T09:00:00Z'), attempt(f, null, '2026-11-25T09:30:00Z')]);
    ofB = await f.log.appendDurable(
      Array.from({ length: 5 }, (_, i) => attempt(f, 'b', `2026-11-25T1${i}:00:00Z`, { personId: f.b.people[i % 2], doorId: f.site.cageDoorId })),
    );
  });
  afterAll(() => t.close());

  it("a customer token reads its own history and nothing of another customer's", async () => {
    const own = await getAll(t, `/customers/${f.a.id}/access-events`, f.a.token);
    expect(own).toHaveLength(2);
    expect(own.every((e) => e.customerId === f.a.id)).toBe(true);
  });

  it.each([
    ['list', (b: string) => `/customers/${b}/access-events`],
    ['export', (b: string) => `/customers/${b}/access-events/export`],
    ['export as JSON Lines', (b: string) => `/customers/${b}/access-events/export?format=jsonl`],
    ['totals', (b: string) => `/customers/${b}/access-events/totals?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z`],
    ['verify', (b: string) => `/customers/${b}/access-events/verify`],
    ['retention', (b: string) => `/customers/${b}/access-events/retention`],
  ])("is refused another customer's %s (403, audited as denied)", async (_label, path) => {
    const res = await t.http().get(path(f.b.id)).set(bearer(f.a.token));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
  });

  it.each([
    ['a person of B', (fx: HistoryFixture) => `/people/${fx.b.people[0]}/access-events`],
    ['a door', (fx: HistoryFixture) => `/doors/${fx.site.cageDoorId}/access-events`],
    ['a site chain', (fx: HistoryFixture) => `/sites/${fx.site.siteId}/access-events/verify`],
    ['every retention status', () => '/access-events/retention'],
  ])('is refused staff-only history of %s', async (_label, path) => {
    const res = await t.http().get(path(f)).set(bearer(f.a.token));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
  });

  it.each<[string, (fx: HistoryFixture) => Record<string, string>]>([
    ['personId of a person of B', (fx) => ({ personId: fx.b.people[0] })],
    ['doorId of the door only B used', (fx) => ({ doorId: fx.site.cageDoorId })],
    ['siteId', (fx) => ({ siteId: fx.site.siteId })],
    ['reason', () => ({ reason: 'granted' })],
  ])("cannot widen its own listing to B's events with %s", async (_label, query) => {
    const rows = await getAll(t, `/customers/${f.a.id}/access-events`, f.a.token, query(f));
    expect(rows.filter((e) => e.customerId !== f.a.id)).toEqual([]);
  });

  it("cannot use a cursor taken from B's pages to reach B's events", async () => {
    const pageOfB = await t.http().get(`/customers/${f.b.id}/access-events`).query({ limit: 2 }).set(bearer(f.b.token));
    expect(pageOfB.body.nextCursor).toEqual(expect.any(String));
    const rows = await getAll(t, `/customers/${f.a.id}/access-events`, f.a.token, { cursor: pageOfB.body.nextCursor as string });
    expect(rows.filter((e) => e.customerId !== f.a.id)).toEqual([]);
    // A forged cursor pointing far in the future still stays within A.
    const forged = Buffer.from(JSON.stringify({ t: 9e15, id: 'zzzz' })).toString('base64url');
    const all = await getAll(t, `/customers/${f.a.id}/access-events`, f.a.token, { cursor: forged });
    expect(all.map((e) => e.customerId)).toEqual([f.a.id, f.a.id]);
  });

  it('exports only its own rows whatever the filters', async () => {
    const res = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ format: 'jsonl', personId: f.b.people[0] }).set(bearer(f.a.token));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const all = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ format: 'jsonl' }).set(bearer(f.a.token));
    const rows = all.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { customer_id: string; event_id: string });
    expect(rows.map((r) => r.customer_id)).toEqual([f.a.id, f.a.id]);
    expect(rows.map((r) => r.event_id)).not.toEqual(expect.arrayContaining([ofB[0].id]));
  });

  it('the refused attempts are in the audit trail', async () => {
    const auditor = await t.tokenFor('auditor');
    const res = await t.http().get('/audit').query({ action: 'access.denied', actorId: f.a.id }).set(bearer(auditor));
    expect(res.body.items.length).toBeGreaterThanOrEqual(10);
  });
});
