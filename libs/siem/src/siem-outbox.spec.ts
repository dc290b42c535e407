import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AccessEventEntity } from '@acs/access-log';
import { AuditAppendTap, type AuditEntry, AuditEntryEntity, AuditService } from '@acs/audit';
import { FakeClock } from '@acs/clock';
import { nativeSqlite } from '@acs/database';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../test/support/lib-database.js';
import { fromAuditEntry, type SiemEvent } from './siem-events.js';
import { SiemOutbox, siemOutboxSummary } from './siem-outbox.js';
import { SiemOutboxEntity } from './siem-outbox.entity.js';

const ev = (n: number): SiemEvent => ({
  eventId: `audit:e${n}`,
  source: 'audit',
  category: 'lockdown',
  severity: 4,
  at: 1_795_000_000_000 + n,
  summary: `event ${n}`,
  fields: [
    ['eid', `audit:e${n}`],
    ['n', String(n)],
  ],
});

describe.each(ENGINES)('the SIEM outbox on %s', (engine) => {
  let db: TestDatabase;
  let outbox: SiemOutbox;
  const clock = new FakeClock('2026-11-26T09:00:00Z');

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, [SiemOutboxEntity, AuditEntryEntity, AccessEventEntity]);
    outbox = new SiemOutbox(db.dataSource, db.writes, clock, db.config);
  });
  afterAll(() => db?.close());

  it('keeps events in the order they were committed and reads the head in that order', async () => {
    await db.writes.transaction((m) => outbox.enqueue(m, [ev(1), ev(2)]));
    await db.writes.transaction((m) => outbox.enqueue(m, [ev(3)]));
    const head = await outbox.head(10);
    expect(head.map((h) => h.eventId)).toEqual(['audit:e1', 'audit:e2', 'audit:e3']);
    expect(head[0]).toMatchObject({ category: 'lockdown', severity: 4, instance: 'default', summary: 'event 1', fields: ev(1).fields });
    expect(head[1].seq).toBeGreaterThan(head[0].seq);
    expect(await siemOutboxSummary(db.dataSource)).toEqual({ depth: 3, oldestQueuedAt: clock.nowMs() });
  });

  it('deletes only what it is told, and numbers never go back after a delete', async () => {
    const head = await outbox.head(10);
    await outbox.remove([head[0].seq, head[2].seq]);
    expect((await outbox.head(10)).map((h) => h.eventId)).toEqual(['audit:e2']);
    await db.writes.transaction((m) => outbox.enqueue(m, [ev(4)]));
    const after = await outbox.head(10);
    expect(after[1].seq).toBeGreaterThan(head[2].seq);
    await outbox.remove(after.map((h) => h.seq));
    expect(await siemOutboxSummary(db.dataSource)).toEqual({ depth: 0, oldestQueuedAt: null });
  });

  it('an event enqueued in a transaction that rolls back is gone with it', async () => {
    await expect(
      db.writes.transaction(async (m) => {
        await outbox.enqueue(m, [ev(5)]);
        throw new Error('the record failed');
      }),
    ).rejects.toThrow('the record failed');
    expect(await outbox.head(10)).toEqual([]);
  });

  it('an audit entry that is a security event lands in the outbox in the same transaction, others do not', async () => {
    const tap = new AuditAppendTap();
    const events = (items: readonly AuditEntry[]) => items.map(fromAuditEntry).filter((e): e is SiemEvent => e !== null);
    // The audit appends through better-sqlite3 on SQLite, through TypeORM on PostgreSQL.
    tap.connect({ append: (m, items) => outbox.enqueue(m, events(items)), appendNative: (native, items) => outbox.enqueueNative(native, events(items)) });
    const audit = new AuditService(db.dataSource, db.writes, clock, tap);
    const actor = { actorType: 'staff', actorId: 'st1', role: 'admin' };
    await audit.record({ actor, action: 'person.read', targetType: 'person', targetId: 'p1', outcome: 'success' });
    const lockdown = await audit.record({ actor, action: 'site.lockdown', targetType: 'site', targetId: 's1', outcome: 'success' });
    const head = await outbox.head(10);
    expect(head.map((h) => h.eventId)).toEqual([`audit:${lockdown.id}`]);
    expect(head[0].fields).toContainEqual(['targetId', 's1']);
    await outbox.remove(head.map((h) => h.seq));
  });
});

describe('the SIEM outbox on the access log’s native SQLite path', () => {
  let db: TestDatabase;
  let outbox: SiemOutbox;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn('sqlite', [SiemOutboxEntity]);
    outbox = new SiemOutbox(db.dataSource, db.writes, new FakeClock('2026-11-26T09:00:00Z'), db.config);
  });
  afterAll(() => db?.close());

  it('enqueues through better-sqlite3 in the caller’s native transaction (the access log’s write path)', async () => {
    const native = nativeSqlite(db.dataSource);
    await db.writes.run(async () => native.transaction(() => outbox.enqueueNative(native, [ev(6), ev(7)]))());
    expect((await outbox.head(10)).map((h) => h.eventId)).toEqual(['audit:e6', 'audit:e7']);
    await db.writes.run(async () => {
      expect(() =>
        native.transaction(() => {
          outbox.enqueueNative(native, [ev(8)]);
          throw new Error('rolled back');
        })(),
      ).toThrow('rolled back');
    });
    expect((await outbox.head(10)).map((h) => h.eventId)).toEqual(['audit:e6', 'audit:e7']);
  });
});
