import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { describe, expect, it } from '@jest/globals';
import type { PeriodicJobs } from '@acs/clock';
import type { DatabaseHealth } from './database-health.js';
import { DeferredWriteReplayer, DeferredWrites, type DeferredWriteSpool } from './deferred-writes.js';

const noJobs = { every: () => undefined, stop: () => undefined } as unknown as PeriodicJobs;

function setup() {
  const db = new Database(':memory:');
  const writes = new DeferredWrites(db);
  const health = Object.assign(new EventEmitter(), { degraded: false, noteFailure: () => true }) as unknown as DatabaseHealth & { degraded: boolean };
  const replayer = new DeferredWriteReplayer(noJobs, { writes } satisfies DeferredWriteSpool, health);
  return { db, writes, health, replayer };
}

describe(DeferredWrites.name, () => {
  it('keeps writes in order across a reopen of the file (what a restart sees)', () => {
    const { db, writes } = setup();
    writes.put('a', { n: 1 }, 10);
    writes.put('b', { n: 2 }, 20);
    expect(new DeferredWrites(db).peek(5)).toEqual([
      { seq: 1, kind: 'a', payload: { n: 1 }, createdAt: 10 },
      { seq: 2, kind: 'b', payload: { n: 2 }, createdAt: 20 },
    ]);
    writes.remove(1);
    expect(writes.size).toBe(1);
  });
});

describe(DeferredWriteReplayer.name, () => {
  it('applies writes oldest first and removes each only after its handler succeeded', async () => {
    const { writes, replayer } = setup();
    const applied: unknown[] = [];
    let failNext = true;
    replayer.handle('x', async (p) => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      applied.push(p);
    });
    writes.put('x', 1, 0);
    writes.put('x', 2, 0);
    expect(await replayer.round()).toBe(0);
    expect(writes.size).toBe(2);
    expect(await replayer.round()).toBe(2);
    expect(applied).toEqual([1, 2]);
    expect(writes.size).toBe(0);
  });

  it('waits while degraded, and at a kind nobody handles yet (never drops or reorders it)', async () => {
    const { writes, replayer, health } = setup();
    const applied: unknown[] = [];
    replayer.handle('known', async (p) => void applied.push(p));
    writes.put('unknown', 1, 0);
    writes.put('known', 2, 0);
    health.degraded = true;
    expect(await replayer.round()).toBe(0);
    health.degraded = false;
    expect(await replayer.round()).toBe(0);
    expect(applied).toEqual([]);
    replayer.handle('unknown', async (p) => void applied.push(p));
    expect(await replayer.round()).toBe(2);
    expect(applied).toEqual([1, 2]);
  });
});
