import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { LoopPriority } from '@acs/clock';
import { applySqlitePragmas, WriteQueue } from '@acs/database';

@Entity('row')
class Row {
  @PrimaryColumn({ type: 'varchar' })
  id!: string;
  @Column({ type: 'varchar' })
  writer!: string;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(WriteQueue.name, () => {
  let dir: string;
  let ds: DataSource;
  let queue: WriteQueue;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acs-wq-'));
    // Left on synchronize on purpose: `row` is this spec's own table, which no migration makes, so
    // there is no migration for it to drift from; the spec is about the queue, not a schema.
    ds = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'wq.sqlite'),
      entities: [Row],
      synchronize: true,
      prepareDatabase: (db) => applySqlitePragmas(db, { synchronous: 'FULL', busyTimeoutMs: 1000 }),
    });
    await ds.initialize();
    queue = new WriteQueue(ds);
  });

  afterEach(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a committed transaction when a concurrent one rolls back', async () => {
    const failing = queue.transaction(async (m) => {
      await m.insert(Row, { id: 'a1', writer: 'a' });
      await tick(); // give the other transaction every chance to interleave
      await tick();
      throw new Error('rollback a');
    });
    const succeeding = queue.transaction(async (m) => {
      await m.insert(Row, { id: 'b1', writer: 'b' });
      await tick();
      await m.insert(Row, { id: 'b2', writer: 'b' });
    });
    const plainWrite = queue.run(() => ds.getRepository(Row).insert({ id: 'c1', writer: 'c' }));

    await expect(failing).rejects.toThrow('rollback a');
    await expect(succeeding).resolves.toBeUndefined();
    await expect(plainWrite).resolves.toBeDefined();

    const rows = await ds.getRepository(Row).find({ order: { id: 'ASC' } });
    expect(rows.map((r) => r.id)).toEqual(['b1', 'b2', 'c1']);
  });

  it('runs queued work strictly one at a time, in arrival order', async () => {
    const events: string[] = [];
    const task = (name: string) =>
      queue.run(async () => {
        events.push(`${name}:start`);
        await tick();
        events.push(`${name}:end`);
      });
    await Promise.all([task('x'), task('y'), task('z')]);
    expect(events).toEqual(['x:start', 'x:end', 'y:start', 'y:end', 'z:start', 'z:end']);
  });

  it('runs an urgent write after the running one, ahead of ordinary writes waiting, FIFO among urgent ones', async () => {
    const events: string[] = [];
    const task = (name: string, urgent = false) =>
      queue.run(
        async () => {
          events.push(name);
          await tick();
        },
        { urgent },
      );
    await Promise.all([task('running'), task('a'), task('b'), task('u1', true), task('c'), task('u2', true)]);
    expect(events).toEqual(['running', 'u1', 'u2', 'a', 'b', 'c']);
  });

  it('lets a nested transaction join the outer one instead of deadlocking', async () => {
    await expect(
      queue.transaction(async (m) => {
        await m.insert(Row, { id: 'outer', writer: 'o' });
        await queue.transaction((inner) => inner.insert(Row, { id: 'inner', writer: 'i' }));
        throw new Error('undo both');
      }),
    ).rejects.toThrow('undo both');
    await expect(ds.getRepository(Row).count()).resolves.toBe(0);
  });

  it('reports how long each write waited for the one before it, until unsubscribed', async () => {
    const waits: number[] = [];
    const stop = queue.observeWaits((ms) => waits.push(ms));
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((r) => (release = r)));
    const second = queue.run(async () => undefined);
    await new Promise((r) => setTimeout(r, 30));
    release();
    await Promise.all([first, second]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThan(20);
    expect(waits[1]).toBeGreaterThanOrEqual(25);
    stop();
    await queue.run(async () => undefined);
    expect(waits).toHaveLength(2);
  });

  it('holds an ordinary write, before it starts and before its caller resumes, while door work is in flight; an urgent one goes at once', async () => {
    const priority = new LoopPriority(500, 1000);
    const gated = new WriteQueue(ds, undefined, priority);
    const order: string[] = [];
    const endDoor = priority.begin();
    const ordinary = gated.run(async () => {
      order.push('ordinary starts');
      await ds.getRepository(Row).insert({ id: 'o1', writer: 'ordinary' });
    });
    void ordinary.then(() => order.push('ordinary caller resumes'));
    const urgent = gated.run(
      async () => {
        order.push('urgent starts');
        await ds.getRepository(Row).insert({ id: 'u1', writer: 'urgent' });
      },
      { urgent: true },
    );
    await urgent;
    for (let i = 0; i < 5; i++) await tick();
    expect(order).toEqual(['urgent starts']);
    endDoor();
    await ordinary;
    expect(order).toEqual(['urgent starts', 'ordinary starts', 'ordinary caller resumes']);

    // Door work that begins while the ordinary write runs holds its caller until it ends.
    order.length = 0;
    let endLater: (() => void) | undefined;
    const second = gated.run(async () => {
      order.push('second starts');
      endLater = priority.begin();
      await ds.getRepository(Row).insert({ id: 'o2', writer: 'ordinary' });
    });
    void second.then(() => order.push('second caller resumes'));
    for (let i = 0; i < 5; i++) await tick();
    expect(order).toEqual(['second starts']);
    endLater!();
    await second;
    expect(order).toEqual(['second starts', 'second caller resumes']);
  });
});
