import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { nativeSqlite } from '@acs/database';
import { AccessEventEntity } from './access-event.entity.js';
import { insertChained } from './testing/index.js';
import { REGISTRY_ENTITIES, TenancyDirectory } from '@acs/registry';
import { AccessLogExporter, EXPORT_COLUMNS } from './access-log.exporter.js';
import { AccessLogService, type AccessLogOptions } from './access-log.service.js';
import { PersonHistory } from './person-history.js';
import type { AccessEventInput } from './model.js';

const C1 = '0193a000-0000-7000-8000-0000000000c1';
const C2 = '0193a000-0000-7000-8000-0000000000c2';
const SITE = '0193a000-0000-7000-8000-00000000005e';

const event = (i: number, customerId: string | null = C1, extra: Partial<AccessEventInput> = {}): AccessEventInput => ({
  customerId,
  personId: customerId ? `0193a000-0000-7000-8000-${String(i).padStart(12, '0')}` : null,
  siteId: SITE,
  doorId: 'door-1',
  direction: 'entry',
  result: 'granted',
  reason: 'granted',
  occurredAt: Date.parse('2026-11-26T09:00:00Z') + i * 1000,
  ...extra,
});

/** A fresh database with the log over it, for one test. */
async function openLog(options: Partial<AccessLogOptions> = {}): Promise<{ db: TestDatabase; log: AccessLogService }> {
  const db = await createLibTestDatabase([AccessEventEntity, ...REGISTRY_ENTITIES]);
  const log = new AccessLogService(db.dataSource, db.writes, new FakeClock('2026-11-26T10:00:00Z'), db.config, new TenancyDirectory(db.dataSource), {
    maxDelayMs: 1,
    ...options,
  });
  return { db, log };
}

async function closeLog(db: TestDatabase, log: AccessLogService): Promise<void> {
  await log.flush();
  await db.close();
}

describe.each<[string, Partial<AccessLogOptions>]>([
  ['native better-sqlite3 path', { nativeSqlite: true }],
  ['portable TypeORM path', { nativeSqlite: false }],
])('AccessLogService append (%s)', (_label, options) => {
  let db: TestDatabase;
  let log: AccessLogService;

  beforeEach(async () => ({ db, log } = await openLog(options)));
  afterEach(() => closeLog(db, log));

  it('chains each customer separately, across batches, and an unknown finger on its site chain', async () => {
    await log.appendDurable([event(1), event(2, C2), event(3), event(4, null, { result: 'denied', reason: 'unknown_finger' })]);
    await log.appendDurable([event(5), event(6, C2)]);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 3, headSeq: 3 });
    await expect(log.verify(C2)).resolves.toMatchObject({ ok: true, checked: 2, headSeq: 2 });
    await expect(log.verifySite(SITE)).resolves.toMatchObject({ ok: true, checked: 1 });
    await expect(log.chainIds()).resolves.toEqual([C1, C2, `site:${SITE}`].sort());
  });

  it('refuses, inside the write, an event whose device lease has passed on, and writes the rest of its batch in order', async () => {
    const asked: Array<{ lease: string; token: number }> = [];
    const fenced = new AccessLogService(
      db.dataSource,
      db.writes,
      new FakeClock('2026-11-26T10:00:00Z'),
      db.config,
      new TenancyDirectory(db.dataSource),
      { maxDelayMs: 5, ...options },
      {
        // The lease devices:g1:a is at token 4 now: 3 belongs to a holder that was deposed.
        stale: async (_m, fences) => {
          asked.push(...fences);
          return new Set(fences.filter((f) => f.token !== 4).map((f) => `${f.lease}#${f.token}`));
        },
      },
    );
    const receipts = fenced.append([
      event(1),
      event(2, C1, { fence: { lease: 'devices:g1:a', token: 3 } }),
      event(3, C1, { fence: { lease: 'devices:g1:a', token: 4 } }),
    ]);
    const settled = await Promise.allSettled(receipts.map((r) => r.durable));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'access_log.stale_fence', status: 409 });
    expect(asked).toEqual([
      { lease: 'devices:g1:a', token: 3 },
      { lease: 'devices:g1:a', token: 4 },
    ]);
    // The chain has no hole: the refused event never took a place in it.
    await expect(fenced.verify(C1)).resolves.toMatchObject({ ok: true, checked: 2, headSeq: 2 });
    expect((settled[2] as PromiseFulfilledResult<{ seq: number }>).value.seq).toBe(2);
    expect(() => fenced.append([event(4, C1, { fence: { lease: 'devices:g1:a', token: 1.5 } })])).toThrow('fence must name a lease and its token');
    await fenced.flush();
  });

  it('hands out ids before the write and follow-ups point at their attempt', async () => {
    const [receipt] = log.append([event(1)]);
    expect(receipt.attemptId).toBe(receipt.id);
    const [followUp] = log.append([event(2, C1, { kind: 'follow_up', attemptId: receipt.id, result: 'denied', reason: 'door_unreachable' })]);
    const stored = await followUp.durable;
    expect(stored).toMatchObject({ attemptId: receipt.id, kind: 'follow_up', seq: 2 });
    await expect(receipt.durable).resolves.toMatchObject({ id: receipt.id, seq: 1, recordedAt: Date.parse('2026-11-26T10:00:00Z') });
  });

  it('refuses invalid events synchronously with a stable code, writing nothing', async () => {
    const bad: Array<Partial<AccessEventInput>> = [
      { result: 'maybe' as never },
      { reason: 'Not A Code' },
      { direction: 'sideways' as never },
      { occurredAt: -1 },
      { customerId: null, personId: 'p1' },
      { kind: 'follow_up' },
      { siteId: '' },
      { doorId: 'drop table;' },
    ];
    for (const b of bad) expect(() => log.append([event(1, C1, b)])).toThrow(expect.objectContaining({ code: 'access_log.invalid_event' }));
    const badCredential: Array<Partial<AccessEventInput>> = [
      { credential: 'badge' as never },
      { credential: '' as never },
      { credential: 4 as never },
      // The offending value is never echoed: a producer bug could put a card number there.
      { credential: '4111111111111111' as never },
      { kind: 'follow_up', attemptId: '0193a000-0000-7000-8000-0000000000a1', reason: 'entered', credential: 'card' },
    ];
    for (const b of badCredential) {
      expect(() => log.append([event(1, C1, b)])).toThrow(
        expect.objectContaining({ code: 'access_log.invalid_event', extra: { field: 'credential' }, message: expect.not.stringContaining('4111') }),
      );
    }
    await log.flush();
    await expect(log.count({})).resolves.toBe(0);
  });

  it('an event is committed, visible to another connection, when its durable promise resolves', async () => {
    const [r] = log.append([event(1)]);
    await r.durable;
    const other = new Database(join(db.dir, 'acs.sqlite'), { readonly: true });
    try {
      expect(other.prepare('SELECT id, seq FROM access_event WHERE id = ?').get(r.id)).toEqual({ id: r.id, seq: 1 });
    } finally {
      other.close();
    }
  });

  it('an append from inside a write-queue transaction does not deadlock or join that transaction', async () => {
    const receipt = await db.writes.transaction(async () => log.append([event(1)])[0]);
    await expect(receipt.durable).resolves.toMatchObject({ seq: 1 });
    const rolledBack = db.writes.transaction(async () => {
      log.append([event(2)]);
      throw new Error('caller rolls back');
    });
    await expect(rolledBack).rejects.toThrow('caller rolls back');
    await log.flush();
    // The event was acknowledged independently of the caller's transaction.
    await expect(log.count({ customerId: C1 })).resolves.toBe(2);
  });

  it('one bad event in a batch fails alone; the others of its batch are written', async () => {
    const [first] = await log.appendDurable([event(1)]);
    const receipts = log.append([event(2), event(3, C1, { id: first.id }), event(4, C2)]);
    await expect(receipts[0].durable).resolves.toMatchObject({ seq: 2 });
    await expect(receipts[1].durable).rejects.toMatchObject({ code: 'access_log.write_failed', extra: { id: first.id } });
    await expect(receipts[2].durable).resolves.toMatchObject({ seq: 1 });
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 2 });
    const [alone] = log.append([event(5, C1, { id: first.id })]);
    await expect(alone.durable).rejects.toMatchObject({ code: 'access_log.write_failed' });
    expect(log.pending).toBe(0);
  });

  it('stores the credential of an attempt, reads it back, and hashes it into the chain', async () => {
    const stored = await log.appendDurable([
      event(1, C1, { credential: 'card+pin' }),
      event(2, C1, { credential: null }),
      event(3),
      event(4, null, { result: 'denied', reason: 'unknown_person', credential: 'card' }),
    ]);
    expect(stored.map((e) => e.credential)).toEqual(['card+pin', null, null, 'card']);
    const [followUp] = await log.appendDurable([event(5, C1, { kind: 'follow_up', attemptId: stored[0].id, reason: 'entered' })]);
    expect(followUp.credential).toBeNull();
    await expect(log.get(stored[0].id)).resolves.toEqual(stored[0]);
    await expect(log.get(stored[2].id)).resolves.toEqual(stored[2]);
    expect((await log.findPage({ customerId: C1 }, { limit: 10 })).items.map((e) => e.credential)).toEqual([null, null, null, 'card+pin']);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 4 });
    await expect(log.verifySite(SITE)).resolves.toMatchObject({ ok: true, checked: 1 });
  });

  it('exports and the data-subject history carry the credential, as the last export column', async () => {
    const [attempt] = await log.appendDurable([event(1, C1, { credential: 'card+fingerprint' })]);
    await log.appendDurable([event(2, C1, { kind: 'follow_up', attemptId: attempt.id, reason: 'entered', personId: attempt.personId })]);
    const read = async (format: 'csv' | 'jsonl') => {
      const out = await new AccessLogExporter(log).export({ customerId: C1 }, { format, timeZone: 'UTC' });
      let text = '';
      for await (const chunk of out.stream) text += String(chunk);
      return text.trim().split(/\r?\n/);
    };
    const [header, followUpLine, attemptLine] = await read('csv');
    expect(header.split(',')).toEqual([...EXPORT_COLUMNS]);
    expect(EXPORT_COLUMNS[EXPORT_COLUMNS.length - 1]).toBe('credential');
    expect(attemptLine.split(',').at(-1)).toBe('card+fingerprint');
    expect(followUpLine.split(',').at(-1)).toBe('');
    expect((await read('jsonl')).map((l) => (JSON.parse(l) as { credential: unknown }).credential)).toEqual([null, 'card+fingerprint']);
    expect((await new PersonHistory(db.dataSource).eventsOf(attempt.personId!)).map((e) => [e.kind, e.credential])).toEqual([
      ['attempt', 'card+fingerprint'],
      ['follow_up', null],
    ]);
  });

  it.each<[string, string | null, number]>([
    ['changed', "'card'", 1],
    ['removed', 'NULL', 1],
    ['added to an attempt recorded without one', "'card+pin'", 2],
  ])('a credential %s behind the log’s back breaks the chain at that row', async (_label, value, seq) => {
    const stored = await log.appendDurable([event(1, C1, { credential: 'card+pin' }), event(2), event(3, C1, { credential: 'pin' })]);
    const victim = stored[seq - 1];
    await db.dataSource.query(`UPDATE access_event SET credential = ${value} WHERE id = ?`, [victim.id]);
    await expect(log.verifyChain(C1)).resolves.toMatchObject({ ok: false, checked: seq - 1, firstBreak: { seq, id: victim.id, reason: 'hash-mismatch' } });
  });

  it('absorbs a burst in few commits and keeps every chain intact', async () => {
    const burst = Array.from({ length: 1200 }, (_, i) => event(i, i % 3 === 0 ? C2 : C1));
    const stored = await log.appendDurable(burst);
    expect(stored).toHaveLength(1200);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 800 });
    await expect(log.verify(C2)).resolves.toMatchObject({ ok: true, checked: 400 });
  });
});

describe('AccessLogService count (in steps of index entries)', () => {
  let db: TestDatabase;
  let log: AccessLogService;

  beforeEach(async () => ({ db, log } = await openLog()));
  afterEach(() => closeLog(db, log));

  it('counts exactly across step boundaries, at an exact multiple of the step, and with every kind of filter', async () => {
    const native = nativeSqlite(db.dataSource)!;
    // 40,000 granted of C1 (two whole steps), 5 denied of C1 interleaved, 123 of C2.
    const inputs = [
      ...Array.from({ length: 40_000 }, (_, i) => event(i)),
      ...Array.from({ length: 5 }, (_, i) => event(i * 7_000 + 1, C1, { result: 'denied', reason: 'no_grant' })),
      ...Array.from({ length: 123 }, (_, i) => event(i, C2)),
    ];
    insertChained(native, inputs, Date.parse('2026-11-26T10:00:00Z'));
    const plain = (where: string, params: unknown[]) =>
      (native.prepare(`SELECT COUNT(*) AS n FROM access_event WHERE ${where}`).get(...params) as { n: number }).n;
    const t0 = Date.parse('2026-11-26T09:00:00Z');
    await expect(log.count({ customerId: C1 })).resolves.toBe(40_005);
    await expect(log.count({ customerId: C1, result: 'granted' })).resolves.toBe(40_000);
    await expect(log.count({ customerId: C1, result: 'denied' })).resolves.toBe(5);
    await expect(log.count({ customerId: C2 })).resolves.toBe(123);
    await expect(log.count({})).resolves.toBe(40_128);
    const from = t0 + 12_345_000;
    const to = t0 + 33_333_000;
    await expect(log.count({ customerId: C1, from, to })).resolves.toBe(plain('customer_id = ? AND occurred_at >= ? AND occurred_at < ?', [C1, from, to]));
    await expect(log.count({ customerId: C1, personId: event(20_000).personId! })).resolves.toBe(1);
    // The event loop gets turns while it counts (better-sqlite3 answers synchronously: one COUNT would not let it).
    let turns = 0;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    await log.count({ customerId: C1 });
    done = true;
    expect(turns).toBeGreaterThanOrEqual(2);
  }, 60_000); // 40,000 rows written, then counted in steps of 5,000 with a turn of the loop each: past 5 s under CI load
});
