import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AccessEvent, EXPORT_COLUMNS, neutraliseFormula } from '@acs/access-log';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { attempt, getAll, type HistoryFixture, historyFixture, newestFirst, parseCsv } from './support.js';

describe('access history exports', () => {
  let t: TestApp;
  let f: HistoryFixture;
  let stored: AccessEvent[];

  beforeAll(async () => {
    t = await startTestApp();
    f = await historyFixture(t);
    const inputs = Array.from({ length: 2500 }, (_, i) =>
      attempt(f, 'a', new Date(Date.parse('2026-10-20T12:00:00Z') + i * 600_000).toISOString(), {
        personId: f.a.people[i % 2],
        result: i % 7 === 0 ? 'denied' : 'granted',
        reason: i % 7 === 0 ? 'no_grant_for_door' : 'granted',
        credential: i % 3 === 0 ? 'card+pin' : null,
      }),
    );
    // Ids are not free text, but a producer bug must not turn into a spreadsheet formula.
    inputs.push(attempt(f, 'a', '2026-11-25T12:00:00Z', { readerId: '-2-3' }));
    inputs.push(attempt(f, 'b', '2026-11-25T12:00:00Z'));
    stored = await f.log.appendDurable(inputs);
  });
  afterAll(() => t.close());

  const ofA = () => stored.filter((e) => e.customerId === f.a.id);

  it('CSV round-trips: every row of the customer, newest first, same values as the API, times in the site zone', async () => {
    const res = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ format: 'csv' }).set(bearer(t.adminToken)).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="access-history-${f.a.id}.csv"`);
    expect(res.headers['x-total-count']).toBe(String(ofA().length));
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(ofA().length);
    const records = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    expect(records.map((r) => r.event_id)).toEqual(newestFirst(ofA()));

    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const r of records) {
      const e = byId.get(r.event_id)!;
      expect(r).toMatchObject({
        customer_id: f.a.id,
        person_id: e.personId,
        door_id: e.doorId,
        result: e.result,
        reason: e.reason,
        hash: e.hash,
        seq: String(e.seq),
        time_zone: 'Europe/Amsterdam',
        credential: e.credential ?? '',
      });
      expect(Date.parse(r.occurred_at)).toBe(e.occurredAt);
    }
    // Winter and summer time in the same file.
    const summer = records.find((r) => r.occurred_at.startsWith('2026-10-20T14:00'))!;
    expect(summer.occurred_at).toBe('2026-10-20T14:00:00.000+02:00');
    const winter = records.find((r) => r.occurred_at.startsWith('2026-11-01T'))!;
    expect(winter.occurred_at.endsWith('+01:00')).toBe(true);
  });

  it('neutralises cells a spreadsheet would run as a formula', async () => {
    const res = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ from: '2026-11-25T00:00:00Z' }).set(bearer(t.adminToken)).buffer(true);
    const [header, ...rows] = parseCsv(res.text);
    const reader = rows.map((r) => r[header.indexOf('reader_id')]);
    expect(reader).toContain("'-2-3");
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    for (const v of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(neutraliseFormula(v)).toBe(`'${v}`);
    expect(neutraliseFormula('0193a000-x')).toBe('0193a000-x');
  });

  it('applies the same filters as the listing, and another zone on request', async () => {
    const query = { personId: f.a.people[1], result: 'denied', from: '2026-10-25T00:00:00Z', to: '2026-11-10T00:00:00Z' };
    const listed = await getAll(t, `/customers/${f.a.id}/access-events`, t.adminToken, query);
    const res = await t
      .http()
      .get(`/customers/${f.a.id}/access-events/export`)
      .query({ ...query, format: 'jsonl', timeZone: 'America/New_York' })
      .set(bearer(t.adminToken))
      .buffer(true);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string | number>);
    expect(listed.length).toBeGreaterThan(3);
    expect(res.headers['x-total-count']).toBe(String(listed.length));
    expect(lines.map((l) => l.event_id)).toEqual(listed.map((e) => e.id));
    expect(lines.map((l) => l.credential)).toEqual(listed.map((e) => e.credential));
    expect(lines.every((l) => l.time_zone === 'America/New_York' && /-0[45]:00$/.test(String(l.occurred_at)))).toBe(true);
    expect(lines.map((l) => Date.parse(String(l.occurred_at)))).toEqual(listed.map((e) => Date.parse(e.occurredAt)));
  });

  it('refuses an unknown time zone or format with a problem document', async () => {
    const zone = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ timeZone: 'Mars/Olympus' }).set(bearer(t.adminToken));
    expect({ status: zone.status, code: zone.body.code }).toEqual({ status: 400, code: 'access_log.bad_time_zone' });
    const format = await t.http().get(`/customers/${f.a.id}/access-events/export`).query({ format: 'xlsx' }).set(bearer(t.adminToken));
    expect({ status: format.status, code: format.body.code }).toEqual({ status: 400, code: 'validation.failed' });
  });

  it('the export is audited', async () => {
    const res = await t.http().get('/audit').query({ action: 'access_event.export', targetId: f.a.id }).set(bearer(t.adminToken));
    expect(res.body.items.length).toBeGreaterThanOrEqual(3);
  });

  it('reports progress page by page up to the announced total', async () => {
    const { AccessLogExporter } = await import('@acs/access-log');
    const progress: Array<[number, number]> = [];
    const out = await t.app
      .get(AccessLogExporter)
      .export({ customerId: f.a.id }, { format: 'jsonl', pageSize: 1000, onProgress: (w, n) => progress.push([w, n]) });
    let lines = 0;
    for await (const chunk of out.stream) lines += String(chunk).split('\n').length - 1;
    expect(lines).toBe(out.total);
    expect(progress).toEqual([
      [1000, out.total],
      [2000, out.total],
      [out.total, out.total],
    ]);
  });
});
