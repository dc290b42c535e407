import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ReaderOpEntity, ReaderSlotEntity } from './entities.js';
import { addOp, addSlot, FakeModule, fakeReaders, libraryStore, quietLogger } from './testing/library-store.js';
import { OutboxWorker, type OutboxWorkerDeps } from './outbox-worker.js';

describe('OutboxWorker', () => {
  let store: Awaited<ReturnType<typeof libraryStore>>;
  let module: FakeModule;
  let templates: Map<string, Buffer>;
  let opened: Buffer[];
  let events: string[];
  let idle: Array<() => void>;
  let worker: OutboxWorker;

  function start(overrides: Partial<OutboxWorkerDeps> = {}): OutboxWorker {
    return new OutboxWorker({
      store,
      readers: fakeReaders({ r1: module }),
      openTemplate: async (id) => {
        const t = templates.get(id);
        if (!t) return null;
        const copy = Buffer.from(t);
        opened.push(copy);
        return copy;
      },
      elsewhere: (id) => events.push(`elsewhere ${id}`),
      emptied: (id) => events.push(`emptied ${id}`),
      retryDelayMs: () => 5,
      logger: quietLogger,
      idle: (id) => {
        events.push(`idle ${id}`);
        idle.shift()?.();
      },
      ...overrides,
    });
  }

  /** Kick the reader and wait until its worker stops. */
  function runOnce(readerId = 'r1'): Promise<void> {
    const done = new Promise<void>((resolve) => idle.push(resolve));
    worker.kick(readerId);
    return done;
  }

  beforeEach(async () => {
    store = await libraryStore();
    module = new FakeModule();
    templates = new Map([['t1', Buffer.from('template one')]]);
    opened = [];
    events = [];
    idle = [];
    worker = start();
  });
  afterEach(async () => {
    await worker.stop();
    await store.close();
  });

  const op = (id: string) => store.ds.getRepository(ReaderOpEntity).findOneByOrFail({ id });
  const slots = () => store.ds.getRepository(ReaderSlotEntity).find({ order: { slot: 'ASC' } });

  it('stores a template, verifies it, marks the op done and the slot stored, and wipes the clear copy', async () => {
    await addSlot(store, 'r1', 4, 'storing', 't1');
    const id = await addOp(store, 'r1', 'store', 4, 1, 't1');

    await runOnce();

    expect(module.stored.map((s) => [s.slot, s.bytes.toString()])).toEqual([[4, 'template one']]);
    expect(opened[0].every((b) => b === 0)).toBe(true);
    expect(await op(id)).toMatchObject({ state: 'done', attempts: 1 });
    expect((await slots()).map((s) => [s.slot, s.state])).toEqual([[4, 'stored']]);
  });

  it('deletes the head of the outbox together: one DeletChar per run of consecutive slots, one commit', async () => {
    for (const s of [3, 4, 9]) {
      module.slots.add(s);
      await addSlot(store, 'r1', s, 'deleting');
    }
    const ids = [await addOp(store, 'r1', 'delete', 4, 1), await addOp(store, 'r1', 'delete', 3, 2), await addOp(store, 'r1', 'delete', 9, 3)];
    const writesBefore = store.writes;

    await runOnce();

    expect(module.deleteCalls).toEqual([
      [3, 2],
      [9, 1],
    ]);
    expect(await Promise.all(ids.map(async (i) => (await op(i)).state))).toEqual(['done', 'done', 'done']);
    expect(await slots()).toEqual([]);
    expect(store.writes - writesBefore).toBe(1);
  });

  it('fails only the delete whose slot is still occupied, and retries it', async () => {
    for (const s of [3, 4]) {
      module.slots.add(s);
      await addSlot(store, 'r1', s, 'deleting');
    }
    module.stickySlots.add(4);
    const [ok, stuck] = [await addOp(store, 'r1', 'delete', 3, 1), await addOp(store, 'r1', 'delete', 4, 2)];

    await runOnce();
    expect(await op(ok)).toMatchObject({ state: 'done' });
    expect(await op(stuck)).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringContaining('slot 4 still occupied') });

    module.stickySlots.clear();
    await new Promise<void>((resolve) => idle.push(resolve)); // the retry timer kicks the worker again
    expect(await op(stuck)).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('skips a store whose template was deleted meanwhile and queues the slot for deletion', async () => {
    await addSlot(store, 'r1', 6, 'storing', 'gone');
    const id = await addOp(store, 'r1', 'store', 6, 1, 'gone');
    module.slots.add(6); // whatever a crashed earlier attempt left there
    await worker.stop();
    worker = start({ readers: fakeReaders({ r1: module }, { paused: new Set(['r1']) }) });
    await runOnce(); // paused: the worker looks at nothing
    expect(await op(id)).toMatchObject({ state: 'pending' });

    worker = start();
    await runOnce();

    expect(await op(id)).toMatchObject({ state: 'skipped', lastError: 'template_gone' });
    expect(module.slots.has(6)).toBe(false);
    expect(await slots()).toEqual([]);
  });

  it('parks a store the module keeps refusing as pending with the error (transient), and asks for a plan after an Empty', async () => {
    await worker.stop();
    worker = start({ retryDelayMs: () => 60_000 }); // no retry between the run and the assertion
    await addSlot(store, 'r1', 2, 'storing', 't1');
    module.storeFails = true;
    const store1 = await addOp(store, 'r1', 'store', 2, 1, 't1');
    await runOnce();
    expect(await op(store1)).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringContaining('not occupied after Store') });

    await worker.stop();
    worker = start();
    await store.ds.getRepository(ReaderOpEntity).update({ id: store1 }, { state: 'skipped' });
    module.slots.add(1).add(2);
    const empty = await addOp(store, 'r1', 'empty', null, 2);
    await runOnce();
    expect(await op(empty)).toMatchObject({ state: 'done' });
    expect(module.slots.size).toBe(0);
    expect(events).toContain('emptied r1');
  });

  it('leaves a reader that is not open here to the instance that owns it', () => {
    worker.kick('elsewhere-reader');
    expect(events).toEqual(['elsewhere elsewhere-reader']);
  });

  it('takes a database it cannot read in its stride: says so, leaves nothing unhandled, and tries again', async () => {
    const warned: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await addSlot(store, 'r1', 4, 'storing', 't1');
      await addOp(store, 'r1', 'store', 4, 1, 't1');
      const repo = store.ds.getRepository(ReaderOpEntity);
      const findOne = repo.findOne.bind(repo);
      let down = true;
      repo.findOne = ((...args: Parameters<typeof findOne>) =>
        down ? Promise.reject(new Error('connect ECONNREFUSED')) : findOne(...args)) as typeof repo.findOne;
      await worker.stop();
      worker = start({ logger: { warn: (m: string) => void warned.push(m) } });
      const tried = new Promise<void>((resolve) => idle.push(resolve));
      worker.kick('r1');
      await tried;
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      // Said once, however many tries (one every 5 ms here).
      expect(warned).toEqual(['reader r1: outbox work stopped: ERROR: connect ECONNREFUSED']);
      // Back: the retry stores the template without another kick.
      down = false;
      const deadline = Date.now() + 2000;
      while (module.stored.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(module.stored.map((x) => x.slot)).toEqual([4]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
