import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { Batcher, ItemFailure } from './batcher.js';
import { setTimeout as sleep } from 'node:timers/promises';

function recording(opts: { maxBatch: number; maxDelayMs: number; writeMs?: number; fail?: (items: number[]) => boolean }) {
  const batches: number[][] = [];
  const errors: number[] = [];
  const batcher = new Batcher<number, string>({
    maxBatch: opts.maxBatch,
    maxDelayMs: opts.maxDelayMs,
    flush: async (items) => {
      batches.push([...items]);
      if (opts.writeMs) await sleep(opts.writeMs);
      if (opts.fail?.(items)) throw new Error('disk full');
      return items.map((i) => `ok:${i}`);
    },
    onError: (_err, size) => errors.push(size),
  });
  return { batcher, batches, errors };
}

describe(Batcher.name, () => {
  it('returns at once and groups a burst into batches of at most maxBatch', async () => {
    const { batcher, batches } = recording({ maxBatch: 4, maxDelayMs: 50 });
    const promises = Array.from({ length: 10 }, (_, i) => batcher.push(i));
    expect(batches).toEqual([]); // nothing written synchronously: the caller is not delayed
    await expect(Promise.all(promises)).resolves.toEqual(Array.from({ length: 10 }, (_, i) => `ok:${i}`));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('flushes a lone item after maxDelayMs, not before', async () => {
    const { batcher, batches } = recording({ maxBatch: 100, maxDelayMs: 30 });
    const p = batcher.push(1);
    await sleep(10);
    expect(batches).toEqual([]);
    await expect(p).resolves.toBe('ok:1');
    expect(batches).toEqual([[1]]);
  });

  it('with maxDelayMs 0 writes at the next turn of the loop, not after a timer', async () => {
    const { batcher, batches } = recording({ maxBatch: 100, maxDelayMs: 0 });
    const p = [batcher.push(1), batcher.push(2)];
    expect(batches).toEqual([]);
    // setImmediate callbacks run in order: the batcher's flush was scheduled before this one.
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    await expect(Promise.all(p)).resolves.toEqual(['ok:1', 'ok:2']);
  });

  it('with maxDelayMs 0 gathers what arrives during a write into the next batch (group commit)', async () => {
    const { batcher, batches } = recording({ maxBatch: 100, maxDelayMs: 0, writeMs: 20 });
    const first = batcher.push(1);
    await sleep(5);
    const later = [2, 3, 4].map((i) => batcher.push(i));
    await sleep(5);
    const last = batcher.push(5);
    await Promise.all([first, ...later, last]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('writes one batch at a time and gathers what arrives meanwhile into the next', async () => {
    const { batcher, batches } = recording({ maxBatch: 100, maxDelayMs: 1, writeMs: 30 });
    const first = batcher.push(1);
    await sleep(5); // first batch is now being written
    const later = [2, 3, 4].map((i) => batcher.push(i));
    expect(batcher.waiting).toBe(4);
    await Promise.all([first, ...later]);
    expect(batcher.waiting).toBe(0);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every item of a failed batch and keeps going with the next', async () => {
    const { batcher, errors } = recording({ maxBatch: 2, maxDelayMs: 1, fail: (items) => items.includes(1) });
    const ps = [0, 1, 2, 3].map((i) => batcher.push(i));
    await expect(ps[0]).rejects.toThrow('disk full');
    await expect(ps[1]).rejects.toThrow('disk full');
    await expect(Promise.all([ps[2], ps[3]])).resolves.toEqual(['ok:2', 'ok:3']);
    expect(errors).toEqual([2]);
  });

  it('rejects only the item the flush reports as failed', async () => {
    const batcher = new Batcher<number, number>({
      maxBatch: 10,
      maxDelayMs: 1,
      flush: async (items) => items.map((i) => (i === 2 ? new ItemFailure(new Error('bad item')) : i * 10)),
    });
    const ps = [1, 2, 3].map((i) => batcher.push(i));
    await expect(ps[0]).resolves.toBe(10);
    await expect(ps[1]).rejects.toThrow('bad item');
    await expect(ps[2]).resolves.toBe(30);
  });

  it('does not turn an unobserved failure into an unhandled rejection', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (e: unknown) => seen.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { batcher } = recording({ maxBatch: 1, maxDelayMs: 1, fail: () => true });
      void batcher.push(1); // fire and forget
      await batcher.drain();
      await sleep(10);
      expect(seen).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('drain waits for everything pushed so far', async () => {
    const { batcher, batches } = recording({ maxBatch: 3, maxDelayMs: 1000 });
    for (let i = 0; i < 7; i++) void batcher.push(i);
    await batcher.drain();
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batcher.waiting).toBe(0);
  });

  it("flushes outside the caller's async context", async () => {
    const als = new AsyncLocalStorage<string>();
    const contexts: Array<string | undefined> = [];
    const batcher = new Batcher<number, number>({
      maxBatch: 10,
      maxDelayMs: 1,
      flush: async (items) => {
        contexts.push(als.getStore());
        return items;
      },
    });
    await als.run('inside-a-transaction', () => batcher.push(1));
    expect(contexts).toEqual([undefined]);
  });
});
