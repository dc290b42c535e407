import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FakeClock, type PeriodicJobs } from '@acs/clock';
import { DatabaseHealth, type WriteQueue } from '@acs/database';
import type { TestDatabase } from '@acs/database/testing';
import { REGISTRY_ENTITIES, TenancyDirectory } from '@acs/registry';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { AccessEventEntity } from '../access-event.entity.js';
import { AccessLogService } from '../access-log.service.js';
import type { AccessEventInput } from '../model.js';
import type { AccessLogSpool } from './access-log-spool.js';
import { EventSpool } from './event-spool.js';
import { replaySpool } from './spool-replayer.js';

const C1 = '0193a000-0000-7000-8000-0000000000c1';
const C2 = '0193a000-0000-7000-8000-0000000000c2';
const SITE = '0193a000-0000-7000-8000-00000000005e';
const T0 = Date.parse('2026-11-26T09:00:00Z');

const event = (i: number, customerId: string = C1): AccessEventInput => ({
  customerId,
  personId: `0193a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  siteId: SITE,
  doorId: 'door-1',
  readerId: 'reader-1',
  direction: 'entry',
  result: 'granted',
  reason: 'granted',
  occurredAt: T0 + i * 1000,
  credential: 'fingerprint',
});

describe('EventSpool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acs-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps events in the order they were put, across a reopen, owner-only, without the fence', () => {
    const path = join(dir, 'spool-a.sqlite');
    const spool = EventSpool.open(path);
    spool.put([{ ...event(1), id: 'e1', attemptId: 'e1', fence: { lease: 'devices:g1:a', token: 4 } }], T0);
    spool.put(
      [
        { ...event(2), id: 'e2', attemptId: 'e2' },
        { ...event(3, C2), id: 'e3', attemptId: 'e3' },
      ],
      T0 + 5,
    );
    expect(spool.size).toBe(3);
    spool.close();
    expect(statSync(path).mode & 0o077).toBe(0);

    const again = EventSpool.open(path);
    expect(again.size).toBe(3);
    const rows = again.peek(10);
    expect(rows.map((r) => r.input.id)).toEqual(['e1', 'e2', 'e3']);
    expect(rows.map((r) => r.createdAt)).toEqual([T0, T0 + 5, T0 + 5]);
    expect(rows[0].input).not.toHaveProperty('fence');
    expect(rows[2].input).toMatchObject({ customerId: C2, occurredAt: T0 + 3000, credential: 'fingerprint' });
    again.remove(rows[1].seq);
    expect(again.size).toBe(1);
    expect(again.peek(10).map((r) => r.input.id)).toEqual(['e3']);
    again.close();
  });
});

describe('degraded mode in the access log (SQLite history, spool file, fake outage)', () => {
  let db: TestDatabase;
  let dir: string;
  let clock: FakeClock;
  let health: DatabaseHealth;
  let spool: EventSpool;
  let handle: { spool: EventSpool | null; windowS: number };
  let log: AccessLogService;
  /** While true every write fails as a cut PostgreSQL connection would. */
  let cut = false;

  const make = () => {
    const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    const writes = {
      run: <T>(task: () => Promise<T>) => (cut ? refused() : db.writes.run(task)),
      transaction: (work: Parameters<WriteQueue['transaction']>[0]) => (cut ? refused() : db.writes.transaction(work)),
    } as unknown as WriteQueue;
    return new AccessLogService(
      db.dataSource,
      writes,
      clock,
      db.config,
      new TenancyDirectory(db.dataSource),
      { maxDelayMs: 1 },
      undefined,
      health,
      handle as unknown as AccessLogSpool,
    );
  };

  beforeEach(async () => {
    db = await createLibTestDatabase([AccessEventEntity, ...REGISTRY_ENTITIES]);
    dir = mkdtempSync(join(tmpdir(), 'acs-spool-'));
    clock = new FakeClock(T0);
    health = new DatabaseHealth({ options: { type: 'postgres' } } as DataSource, clock, {} as PeriodicJobs);
    spool = EventSpool.open(join(dir, 'spool-test.sqlite'));
    handle = { spool, windowS: 900 };
    cut = false;
    log = make();
  });
  afterEach(async () => {
    await log.flush();
    spool.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spools the batch that met the outage and everything after it within the window, then replays in order, flagged, chained', async () => {
    await log.appendDurable([event(1), event(2, C2)]);
    cut = true;
    // The first append after the cut finds out by failing: its batch goes to the spool, not lost.
    const first = await log.appendDurable([event(3)]);
    expect(health.degraded).toBe(true);
    expect(first[0]).toMatchObject({ degraded: true, seq: 0 });
    clock.advance(60_000);
    const during = await log.appendDurable([event(4, C2), event(5)]);
    expect(during.every((e) => e.degraded)).toBe(true);
    expect(spool.size).toBe(3);
    expect(await log.count({})).toBe(2);

    cut = false;
    health.noteSuccess();
    // Still spooled while the replay has not caught up: the chain keeps the decision order.
    await log.appendDurable([event(6)]);
    expect(spool.size).toBe(4);
    const report = await replaySpool(spool, log, { batch: 2 });
    expect(report).toMatchObject({ written: 4, skipped: 0 });
    expect(spool.size).toBe(0);
    await log.appendDurable([event(7)]);
    expect(spool.size).toBe(0);

    const c1 = (await log.findPage({ customerId: C1 }, { limit: 50 })).items.sort((a, b) => a.seq - b.seq);
    expect(c1.map((e) => [e.occurredAt, e.seq, e.degraded])).toEqual([
      [T0 + 1000, 1, false],
      [T0 + 3000, 2, true],
      [T0 + 5000, 3, true],
      [T0 + 6000, 4, true],
      [T0 + 7000, 5, false],
    ]);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 5 });
    await expect(log.verify(C2)).resolves.toMatchObject({ ok: true, checked: 2 });
  });

  it('replays exactly once after a crash between the central commit and the spool delete', async () => {
    cut = true;
    health.noteFailure({ code: 'ECONNREFUSED' });
    await log.appendDurable([event(1), event(2), event(3)]);
    cut = false;
    health.noteSuccess();
    // The central commit of the first two, then "the crash": the spool still holds them.
    await log.replaySpooled(spool.peek(2));
    expect(spool.size).toBe(3);
    const report = await replaySpool(spool, log);
    expect(report).toMatchObject({ written: 1, skipped: 2 });
    const all = (await log.findPage({}, { limit: 50 })).items;
    expect(all).toHaveLength(3);
    expect(new Set(all.map((e) => e.id)).size).toBe(3);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 3 });
  });

  it('fails secure beyond the window, and at once with the window 0', async () => {
    cut = true;
    health.noteFailure({ code: 'ECONNREFUSED' });
    clock.advance(900_001);
    await expect(log.appendDurable([event(1)])).rejects.toMatchObject({ code: 'access_log.degraded_window_over', status: 503 });
    handle.windowS = 0;
    clock.set(T0);
    health.noteSuccess();
    health.noteFailure({ code: 'ECONNREFUSED' });
    await expect(log.appendDurable([event(2)])).rejects.toMatchObject({ code: 'access_log.degraded_window_over' });
    expect(spool.size).toBe(0);
  });

  it('refuses the batch that met the outage when the window is 0 (nothing spooled, nothing admitted)', async () => {
    handle.windowS = 0;
    cut = true;
    await expect(log.appendDurable([event(1)])).rejects.toBeDefined();
    expect(health.degraded).toBe(true);
    expect(spool.size).toBe(0);
  });
});
