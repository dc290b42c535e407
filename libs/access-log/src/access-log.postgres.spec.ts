import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { REGISTRY_ENTITIES, TenancyDirectory } from '@acs/registry';
import { createLibTestDatabaseOn } from '../../../test/support/lib-database.js';
import { AccessEventEntity } from './access-event.entity.js';
import { AccessLogExporter } from './access-log.exporter.js';
import { AccessLogService } from './access-log.service.js';
import type { AccessEventInput } from './model.js';

// The portable write path and every query on PostgreSQL (the scale-out database): a throwaway
// database on 127.0.0.1:5432 built by the migrations, with the access log's entities and the
// registry's (the exporter's totals read sites through the registry's TenancyDirectory).
const C1 = '0193a000-0000-7000-8000-0000000000c1';
const C2 = '0193a000-0000-7000-8000-0000000000c2';
const SITE = '0193a000-0000-7000-8000-00000000005e';

const event = (i: number, customerId: string | null = C1, extra: Partial<AccessEventInput> = {}): AccessEventInput => ({
  customerId,
  personId: customerId ? `0193a000-0000-7000-8000-00000000000${i % 2}` : null,
  siteId: SITE,
  doorId: `0193a000-0000-7000-8000-0000000000d${i % 2}`,
  direction: 'entry',
  result: i % 3 === 0 ? 'denied' : 'granted',
  reason: i % 3 === 0 ? 'outside_schedule' : 'granted',
  occurredAt: Date.parse('2026-11-25T22:00:00Z') + Math.floor(i / 2) * 600_000, // pairs share an instant
  ...extra,
});

describe('AccessLogService on PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let log: AccessLogService;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn('postgres', [AccessEventEntity, ...REGISTRY_ENTITIES]);
    ds = db.dataSource;
    log = new AccessLogService(ds, db.writes, new FakeClock('2026-11-26T10:00:00Z'), db.config, new TenancyDirectory(ds), {
      maxDelayMs: 1,
    });
  });

  afterAll(async () => {
    await log?.flush();
    await db?.close();
  });

  it('appends in batches, chains per customer, pages newest first and verifies', async () => {
    const stored = await log.appendDurable(Array.from({ length: 40 }, (_, i) => event(i, i % 4 === 3 ? C2 : C1)));
    await log.appendDurable([event(100, null, { result: 'denied', reason: 'unknown_finger' })]);
    const ofC1 = stored.filter((e) => e.customerId === C1);
    const expected = [...ofC1].sort((a, b) => b.occurredAt - a.occurredAt || (b.id < a.id ? -1 : 1)).map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.findPage({ customerId: C1 }, { cursor, limit: 7 });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(
      (await log.findPage({ customerId: C1, result: 'denied', personId: `0193a000-0000-7000-8000-000000000000` }, { limit: 100 })).items.map((e) => e.id),
    ).toEqual(
      ofC1
        .filter((e) => e.result === 'denied' && e.personId?.endsWith('0'))
        .sort((a, b) => b.occurredAt - a.occurredAt || (b.id < a.id ? -1 : 1))
        .map((e) => e.id),
    );
    await expect(log.count({ customerId: C2 })).resolves.toBe(10);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 30 });
    await expect(log.verifySite(SITE)).resolves.toMatchObject({ ok: true, checked: 1 });
    await expect(log.chainIds()).resolves.toEqual([C1, C2, `site:${SITE}`].sort());
  });

  it('names the first broken link after a direct edit', async () => {
    const victim = (await log.findPage({ customerId: C2 }, { limit: 100 })).items.find((e) => e.seq === 4)!;
    await ds.query(`UPDATE access_event SET reason = 'tampered' WHERE id = $1`, [victim.id]);
    await expect(log.verify(C2)).resolves.toMatchObject({ ok: false, checked: 3, firstBreak: { seq: 4, id: victim.id, reason: 'hash-mismatch' } });
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true });
  });

  it('stores credentials and hashes them into the chain; a credential edited or removed breaks it', async () => {
    const C3 = '0193a000-0000-7000-8000-0000000000c3';
    const stored = await log.appendDurable([event(200, C3, { credential: 'card+pin' }), event(201, C3), event(202, C3, { credential: 'pin' })]);
    expect(stored.map((e) => e.credential)).toEqual(['card+pin', null, 'pin']);
    await expect(log.get(stored[0].id)).resolves.toEqual(stored[0]);
    await expect(log.verify(C3)).resolves.toMatchObject({ ok: true, checked: 3 });
    await ds.query(`UPDATE access_event SET credential = NULL WHERE id = $1`, [stored[2].id]);
    await expect(log.verify(C3)).resolves.toMatchObject({ ok: false, checked: 2, firstBreak: { seq: 3, id: stored[2].id, reason: 'hash-mismatch' } });
    await ds.query(`UPDATE access_event SET credential = 'pin' WHERE id = $1`, [stored[2].id]);
    await ds.query(`UPDATE access_event SET credential = 'card' WHERE id = $1`, [stored[0].id]);
    await expect(log.verify(C3)).resolves.toMatchObject({ ok: false, checked: 0, firstBreak: { seq: 1, id: stored[0].id, reason: 'hash-mismatch' } });
    const out = await new AccessLogExporter(log).export({ customerId: C3 }, { format: 'jsonl' });
    let text = '';
    for await (const chunk of out.stream) text += String(chunk);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { credential: unknown }).credential),
    ).toEqual(['pin', null, 'card']);
  });

  it('counts per local day and door, and exports', async () => {
    const totals = await log.totals({ customerId: C1, from: Date.parse('2026-11-25T00:00:00Z'), to: Date.parse('2026-11-27T00:00:00Z') });
    expect(totals.timeZones).toEqual({ [SITE]: 'Europe/Amsterdam' });
    expect(totals.days.map((d) => d.date)).toEqual(expect.arrayContaining(['2026-11-25', '2026-11-26']));
    expect(totals.days.reduce((s, d) => s + d.granted + d.denied, 0)).toBe(30);
    const out = await new AccessLogExporter(log).export({ customerId: C1 }, { format: 'jsonl', pageSize: 8 });
    let text = '';
    for await (const chunk of out.stream) text += String(chunk);
    expect(text.trim().split('\n')).toHaveLength(30);
    expect(out.total).toBe(30);
  });
});
