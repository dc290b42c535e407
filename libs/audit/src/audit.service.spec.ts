import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../test/support/lib-database.js';
import { FakeClock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AUDIT_ENTRY_TARGET, type AuditActor, AuditAppendTap, AuditService } from './audit.service.js';

const SYSTEM: AuditActor = { actorType: 'system', actorId: null, role: null };
const DESK: AuditActor = { actorType: 'staff', actorId: 'staff-1', role: 'security' };
const ALARM = 'mqtt.security_alarm';
const ACK = 'mqtt.security_alarm_acknowledge';

/**
 * The service over the audit lib's own table in the migrated schema the server runs on, with only
 * its own entities mapped, on both engines: SQLite appends through better-sqlite3's statements,
 * PostgreSQL through TypeORM under the cluster lock.
 */
describe.each(ENGINES)(`${AuditService.name} on %s`, (engine) => {
  let db: TestDatabase;
  let ds: DataSource;
  let clock: FakeClock;
  let audit: AuditService;
  let writes: WriteQueue;

  beforeEach(async () => {
    db = await createLibTestDatabaseOn(engine, [AuditEntryEntity]);
    ds = db.dataSource;
    clock = new FakeClock('2026-12-01T09:00:00Z');
    writes = new WriteQueue(ds);
    audit = new AuditService(ds, writes, clock);
  });
  afterEach(async () => {
    await db.close();
  });

  const alarm = () => audit.record({ actor: SYSTEM, action: ALARM, outcome: 'denied', details: { count: 20, source: 'ctl-1' } });
  const ackBy = (actor: AuditActor, targetId: string, note?: string) =>
    audit.recordOnceAgainst(ALARM, targetId, { actor, action: ACK, outcome: 'success', requestId: 'req-1', ...(note ? { details: { note } } : {}) });

  describe('recordOnceAgainst', () => {
    it('records the entry aimed at the target, on the chain, and returns both', async () => {
      const a = await alarm();
      clock.advance(5000);
      const done = await ackBy(DESK, a.id, 'checked');
      expect(done.outcome).toBe('recorded');
      if (done.outcome !== 'recorded') return;
      expect(done.target).toMatchObject({ id: a.id, action: ALARM, at: a.at });
      expect(done.entry).toMatchObject({
        seq: a.seq + 1,
        action: ACK,
        targetType: AUDIT_ENTRY_TARGET,
        targetId: a.id,
        actorId: 'staff-1',
        at: a.at + 5000,
        requestId: 'req-1',
        prevHash: a.hash,
        details: JSON.stringify({ note: 'checked' }),
      });
      expect(await audit.verify()).toMatchObject({ ok: true });
    });

    it.each([
      ['an id no entry has', () => Promise.resolve('no-such-entry')],
      ['an entry of another action', () => audit.record({ actor: SYSTEM, action: 'mqtt.security_event', outcome: 'denied' }).then((e) => e.id)],
    ])('writes nothing when the target is %s', async (_, targetOf) => {
      const targetId = await targetOf();
      const before = await ds.getRepository(AuditEntryEntity).count();
      expect(await ackBy(DESK, targetId)).toEqual({ outcome: 'no_target' });
      expect(await ds.getRepository(AuditEntryEntity).count()).toBe(before);
    });

    it('records once per target: a second caller gets the earlier entry and nothing is written', async () => {
      const a = await alarm();
      const first = await ackBy(DESK, a.id);
      const second = await ackBy({ ...DESK, actorId: 'staff-2' }, a.id);
      expect(second.outcome).toBe('already');
      if (second.outcome !== 'already' || first.outcome !== 'recorded') throw new Error('unexpected outcomes');
      expect(second.earlier.id).toBe(first.entry.id);
      expect(await audit.findTargeting(ACK, AUDIT_ENTRY_TARGET, [a.id])).toHaveLength(1);
    });

    it('lets only one of two concurrent callers record', async () => {
      const a = await alarm();
      const outcomes = await Promise.all([ackBy(DESK, a.id), ackBy({ ...DESK, actorId: 'staff-2' }, a.id)]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already', 'recorded']);
      expect(await audit.findTargeting(ACK, AUDIT_ENTRY_TARGET, [a.id])).toHaveLength(1);
    });

    it('refuses a note that is not an identifier, after the target check and writing nothing', async () => {
      const a = await alarm();
      await expect(ackBy(DESK, a.id, 'call jane@example.com')).rejects.toMatchObject({ code: 'audit.unsafe_detail' });
      expect(await audit.findTargeting(ACK, AUDIT_ENTRY_TARGET, [a.id])).toEqual([]);
      expect(await ackBy(DESK, 'no-such-entry', 'call jane@example.com')).toEqual({ outcome: 'no_target' });
    });
  });

  describe('record', () => {
    it('chains entries and joins the caller’s transaction: a rollback takes the entry with it', async () => {
      const a = await alarm();
      await expect(
        writes.transaction(async (m) => {
          await m.getRepository(AuditEntryEntity).count();
          await audit.record({ actor: DESK, action: 'staff.create', outcome: 'success' });
          throw new Error('the caller failed');
        }),
      ).rejects.toThrow('the caller failed');
      // A rolled-back entry leaves no gap: the next one follows the last committed.
      const b = await writes.transaction(async () => audit.record({ actor: DESK, action: 'staff.create', outcome: 'success' }));
      expect(b).toMatchObject({ seq: a.seq + 1, prevHash: a.hash });
      expect(await ds.getRepository(AuditEntryEntity).count()).toBe(2);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 2, headSeq: b.seq, headHash: b.hash });
    });

    it('writes the append tap’s rows in the same transaction (the native path on SQLite)', async () => {
      const seen: string[] = [];
      const tap = new AuditAppendTap();
      tap.connect({
        append: async (_m, items) => void seen.push(...items.map((i) => `typeorm:${i.action}`)),
        appendNative: (_db, items) => void seen.push(...items.map((i) => `native:${i.action}`)),
      });
      const tapped = new AuditService(ds, new WriteQueue(ds), clock, tap);
      await tapped.record({ actor: DESK, action: 'site.lockdown', outcome: 'success' });
      expect(seen).toEqual([`${ds.options.type === 'postgres' ? 'typeorm' : 'native'}:site.lockdown`]);
    });

    it('fails the entry when the tap fails, leaving the chain as it was', async () => {
      const a = await alarm();
      const tap = new AuditAppendTap();
      tap.connect({
        append: () => Promise.reject(new Error('tap failed')),
        appendNative: () => {
          throw new Error('tap failed');
        },
      });
      const tapped = new AuditService(ds, new WriteQueue(ds), clock, tap);
      await expect(tapped.record({ actor: DESK, action: 'site.lockdown', outcome: 'success' })).rejects.toThrow('tap failed');
      expect(await ds.getRepository(AuditEntryEntity).count()).toBe(1);
      expect(await audit.record({ actor: DESK, action: 'site.lockdown', outcome: 'success' })).toMatchObject({ seq: a.seq + 1, prevHash: a.hash });
    });
  });

  describe('find and findTargeting', () => {
    it('lists one action in a time window, newest first, and the entries aimed at some of them', async () => {
      const old = await alarm();
      clock.advance(60_000);
      const from = clock.nowMs();
      const a = await alarm();
      await audit.record({ actor: SYSTEM, action: 'mqtt.security_event', outcome: 'denied' });
      clock.advance(1000);
      const b = await alarm();
      await ackBy(DESK, a.id);
      await ackBy(DESK, old.id);
      const recent = await audit.find({ action: ALARM, from, limit: 10 });
      expect(recent.map((e) => e.id)).toEqual([b.id, a.id]);
      const acks = await audit.findTargeting(
        ACK,
        AUDIT_ENTRY_TARGET,
        recent.map((e) => e.id),
      );
      expect(acks.map((e) => e.targetId)).toEqual([a.id]);
      expect(await audit.findTargeting(ACK, AUDIT_ENTRY_TARGET, [])).toEqual([]);
    });
  });
});
