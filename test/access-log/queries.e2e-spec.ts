import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessEvent } from '@acs/access-log';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { attempt, getAll, getPage, type HistoryFixture, historyFixture, newestFirst } from './support.js';

describe('access history queries', () => {
  let t: TestApp;
  let f: HistoryFixture;
  let stored: AccessEvent[];
  let auditor: string;

  beforeAll(async () => {
    t = await startTestApp();
    f = await historyFixture(t);
    auditor = await t.tokenFor('auditor');
    const base = Date.parse('2026-11-20T08:00:00Z');
    const inputs = Array.from({ length: 60 }, (_, i) => {
      const who = i % 10 === 9 ? null : i % 3 === 0 ? 'b' : 'a';
      const at = new Date(base + i * 3_600_000).toISOString();
      if (who === null) return attempt(f, null, at);
      const c = f[who];
      const cage = i % 4 === 0;
      const denied = i % 5 === 0;
      return attempt(f, who, at, {
        personId: c.people[i % 2],
        doorId: cage ? f.site.cageDoorId : f.site.suiteDoorId,
        zoneId: cage ? f.site.cageZoneId : f.site.suiteZoneId,
        readerId: cage ? f.site.exitReaderId : f.site.entryReaderId,
        result: denied ? 'denied' : 'granted',
        reason: denied ? 'outside_schedule' : 'granted',
        credential: who === 'b' && i % 2 === 0 ? 'card+pin' : null,
      });
    });
    // Two events at the same instant: the id breaks the tie, pages must not drop either.
    inputs.push(attempt(f, 'a', '2026-11-21T10:00:00Z'), attempt(f, 'a', '2026-11-21T10:00:00Z'));
    stored = await f.log.appendDurable(inputs);
  });
  afterAll(() => t.close());

  const ofA = () => stored.filter((e) => e.customerId === f.a.id);

  it("lists a customer's events newest first across pages, and only that customer's", async () => {
    const all = await getAll(t, `/customers/${f.a.id}/access-events`, t.adminToken, { limit: 7 });
    expect(all.map((e) => e.id)).toEqual(newestFirst(ofA()));
    expect(new Set(all.map((e) => e.customerId))).toEqual(new Set([f.a.id]));
  });

  it.each<[string, (fx: HistoryFixture) => Record<string, string>, (e: AccessEvent, fx: HistoryFixture) => boolean]>([
    ['person', (fx) => ({ personId: fx.a.people[1] }), (e, fx) => e.personId === fx.a.people[1]],
    ['door', (fx) => ({ doorId: fx.site.cageDoorId }), (e, fx) => e.doorId === fx.site.cageDoorId],
    ['zone', (fx) => ({ zoneId: fx.site.suiteZoneId }), (e, fx) => e.zoneId === fx.site.suiteZoneId],
    ['site', (fx) => ({ siteId: fx.site.siteId }), () => true],
    ['result', () => ({ result: 'denied' }), (e) => e.result === 'denied'],
    ['reason', () => ({ reason: 'outside_schedule' }), (e) => e.reason === 'outside_schedule'],
    [
      'time range (from inclusive, to exclusive)',
      () => ({ from: '2026-11-21T00:00:00Z', to: '2026-11-21T12:00:00Z' }),
      (e) => e.occurredAt >= Date.parse('2026-11-21T00:00:00Z') && e.occurredAt < Date.parse('2026-11-21T12:00:00Z'),
    ],
    [
      'several at once',
      (fx) => ({ personId: fx.a.people[0], result: 'granted', doorId: fx.site.suiteDoorId }),
      (e, fx) => e.personId === fx.a.people[0] && e.result === 'granted' && e.doorId === fx.site.suiteDoorId,
    ],
  ])('filters by %s', async (_label, query, keep) => {
    const expected = newestFirst(ofA().filter((e) => keep(e, f)));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(ofA().length + (_label === 'site' ? 1 : 0));
    const all = await getAll(t, `/customers/${f.a.id}/access-events`, auditor, { ...query(f), limit: 4 });
    expect(all.map((e) => e.id)).toEqual(expected);
  });

  it('keeps pages stable while new events arrive: nothing repeats, nothing earlier is skipped', async () => {
    const before = newestFirst(ofA());
    const seen: string[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = await getPage(t, `/customers/${f.a.id}/access-events`, t.adminToken, { limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      // Newer events, and a late one older than everything (a device replaying its buffer).
      const late = await f.log.appendDurable([
        attempt(f, 'a', new Date(Date.parse('2026-11-26T08:00:00Z') + round * 1000).toISOString()),
        attempt(f, 'a', new Date(Date.parse('2026-11-01T08:00:00Z') + round * 1000).toISOString()),
      ]);
      stored.push(...late);
      round++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id))).toEqual(before);
  });

  it('staff see a person’s and a door’s history; a door includes unknown fingers', async () => {
    const person = await getAll(t, `/people/${f.b.people[0]}/access-events`, auditor);
    expect(person.map((e) => e.id)).toEqual(newestFirst(stored.filter((e) => e.personId === f.b.people[0])));
    const door = await getAll(t, `/doors/${f.site.suiteDoorId}/access-events`, t.adminToken, { limit: 50 });
    expect(door.map((e) => e.id)).toEqual(newestFirst(stored.filter((e) => e.doorId === f.site.suiteDoorId)));
    expect(door.some((e) => e.reason === 'unknown_finger' && e.customerId === null)).toBe(true);
    const doorOfB = await getAll(t, `/doors/${f.site.suiteDoorId}/access-events`, t.adminToken, { customerId: f.b.id });
    expect(doorOfB.map((e) => e.id)).toEqual(newestFirst(stored.filter((e) => e.doorId === f.site.suiteDoorId && e.customerId === f.b.id)));
  });

  it('shows what each attempt was made with, null where nothing was recorded', async () => {
    const listed = await getAll(t, `/customers/${f.b.id}/access-events`, auditor);
    const ofB = stored.filter((e) => e.customerId === f.b.id);
    expect(new Set(ofB.map((e) => e.credential))).toEqual(new Set(['card+pin', null]));
    expect(Object.fromEntries(listed.map((e) => [e.id, e.credential]))).toEqual(Object.fromEntries(ofB.map((e) => [e.id, e.credential])));
  });

  it('counts attempts per local day and door; days are the site’s calendar days', async () => {
    // 23:30 UTC on the 24th is 00:30 on the 25th in Amsterdam.
    const late = await f.log.appendDurable([
      attempt(f, 'b', '2026-11-24T23:30:00Z', { doorId: f.site.cageDoorId }),
      attempt(f, 'b', '2026-11-24T23:40:00Z', { doorId: f.site.cageDoorId, kind: 'follow_up', attemptId: 'x', reason: 'entered' }),
      attempt(f, 'b', '2026-11-25T10:00:00Z', { doorId: f.site.cageDoorId, result: 'denied', reason: 'outside_schedule' }),
    ]);
    stored.push(...late);
    const res = await t
      .http()
      .get(`/customers/${f.b.id}/access-events/totals`)
      .query({ from: '2026-11-24T23:00:00Z', to: '2026-11-26T23:00:00Z' })
      .set(bearer(f.b.token));
    expect(res.status).toBe(200);
    expect(res.body.timeZones).toEqual({ [f.site.siteId]: 'Europe/Amsterdam' });
    expect(res.body.days).toEqual([{ date: '2026-11-25', siteId: f.site.siteId, doorId: f.site.cageDoorId, granted: 1, denied: 1 }]);

    const all = await t
      .http()
      .get(`/customers/${f.a.id}/access-events/totals`)
      .query({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })
      .set(bearer(auditor));
    const sum = (all.body.days as Array<{ granted: number; denied: number }>).reduce((s, d) => s + d.granted + d.denied, 0);
    expect(sum).toBe(stored.filter((e) => e.customerId === f.a.id && e.kind === 'attempt').length);
  });

  it('refuses a period longer than a year or ending before it starts', async () => {
    for (const q of [
      { from: '2026-01-01T00:00:00Z', to: '2027-06-01T00:00:00Z' },
      { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    ]) {
      const res = await t.http().get(`/customers/${f.a.id}/access-events/totals`).query(q).set(bearer(t.adminToken));
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'access_log.bad_period' });
    }
  });

  it('refuses a malformed cursor and bad filters with stable codes', async () => {
    const bad = await t.http().get(`/customers/${f.a.id}/access-events`).query({ cursor: 'not-a-cursor' }).set(bearer(t.adminToken));
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'pagination.bad_cursor' });
    const filter = await t.http().get(`/customers/${f.a.id}/access-events`).query({ result: 'maybe' }).set(bearer(t.adminToken));
    expect({ status: filter.status, code: filter.body.code }).toEqual({ status: 400, code: 'validation.failed' });
    const unknown = await t.http().get('/customers/0193a000-0000-7000-8000-000000000000/access-events').set(bearer(t.adminToken));
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'customer.not_found' });
  });

  it('reports retention: until end of service by default, due once service has ended', async () => {
    const active = await t.http().get(`/customers/${f.a.id}/access-events/retention`).set(bearer(f.a.token));
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({
      customerId: f.a.id,
      policy: { mode: 'until_end_of_service', graceDays: 0, source: 'default' },
      serviceEnd: null,
      appliesAt: null,
      state: 'retained',
      events: stored.filter((e) => e.customerId === f.a.id).length,
    });
    const patched = await t.http().patch(`/customers/${f.b.id}`).send({ serviceEnd: '2026-11-25T00:00:00Z' }).set(bearer(t.adminToken));
    expect(patched.status).toBe(200);
    const ended = await t.http().get(`/customers/${f.b.id}/access-events/retention`).set(bearer(t.adminToken));
    expect(ended.body).toMatchObject({ serviceEnd: '2026-11-25T00:00:00.000Z', appliesAt: '2026-11-25T00:00:00.000Z', state: 'due' });
    const every = await t.http().get('/access-events/retention').set(bearer(auditor));
    expect((every.body as Array<{ customerId: string }>).map((s) => s.customerId)).toEqual(expect.arrayContaining([f.a.id, f.b.id]));
  });

  it('audits every read of history with the customer as target and the reader as actor', async () => {
    await getPage(t, `/customers/${f.a.id}/access-events`, f.a.token, { limit: 1 });
    const audit = await t.http().get('/audit').query({ action: 'access_event.list', targetId: f.a.id }).set(bearer(auditor));
    expect(audit.status).toBe(200);
    const entries = audit.body.items as Array<{ actorType: string; actorId: string; targetType: string; outcome: string }>;
    expect(entries[0]).toMatchObject({ actorType: 'customer', actorId: f.a.id, targetType: 'customer', outcome: 'success' });
    for (const action of ['access_event.totals', 'access_event.retention']) {
      const r = await t.http().get('/audit').query({ action }).set(bearer(auditor));
      expect(r.body.items.length).toBeGreaterThan(0);
    }
  });
});
