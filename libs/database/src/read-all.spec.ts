import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { readAll } from './read-all.js';

/** Reads that record how many of them were running at once. */
function probe() {
  let running = 0;
  let most = 0;
  const read =
    <T>(value: T) =>
    async (): Promise<T> => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return value;
    };
  return { read, most: () => most };
}

describe('readAll', () => {
  it("runs the reads one after another on a transaction's manager (one connection), results in order", async () => {
    const p = probe();
    const inTransaction = { queryRunner: {} } as unknown as EntityManager;
    const [a, b, c] = await readAll<[number, string, boolean]>(inTransaction, [p.read(1), p.read('two'), p.read(true)]);
    expect([a, b, c]).toEqual([1, 'two', true]);
    expect(p.most()).toBe(1);
  });

  it("runs them at once on the data source's manager (a pooled connection per query)", async () => {
    const p = probe();
    const pooled = {} as EntityManager;
    expect(await readAll<[number, number]>(pooled, [p.read(1), p.read(2)])).toEqual([1, 2]);
    expect(p.most()).toBe(2);
  });
});
