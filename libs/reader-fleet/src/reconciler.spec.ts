import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ReaderOpEntity, ReaderReconciliationEntity, ReaderSlotEntity } from './entities.js';
import { addOp, addSlot, FakeModule, fakeReaders, libraryStore, quietLogger } from './testing/library-store.js';
import { Reconciler } from './reconciler.js';

describe('Reconciler', () => {
  let store: Awaited<ReturnType<typeof libraryStore>>;
  let module: FakeModule;
  let kicked: string[];
  let ready: Set<string>;
  let reconciler: Reconciler;

  beforeEach(async () => {
    store = await libraryStore();
    module = new FakeModule();
    kicked = [];
    ready = new Set(['r1']);
    reconciler = new Reconciler({ store, readers: fakeReaders({ r1: module }, { ready }), kick: (id) => kicked.push(id), logger: quietLogger });
  });
  afterEach(() => store.close());

  const slots = () => store.ds.getRepository(ReaderSlotEntity).find({ order: { slot: 'ASC' } });
  const pendingOps = () => store.ds.getRepository(ReaderOpEntity).find({ where: { state: 'pending' }, order: { seq: 'ASC' } });

  it('deletes a ghost (an occupied slot the bookkeeping does not know) and records the drift', async () => {
    await addSlot(store, 'r1', 1, 'stored');
    module.slots.add(1).add(7);

    const view = await reconciler.reconcile('r1');

    expect(view).toMatchObject({ found: 2, expected: 1, missingPushed: 0, ghostsDeleted: 1, error: null });
    expect([...module.slots]).toEqual([1]);
    expect(await store.ds.getRepository(ReaderReconciliationEntity).count({ where: { readerId: 'r1', ghostsDeleted: 1 } })).toBe(1);
    expect(reconciler.last('r1')).toEqual(view);
    expect(kicked).toEqual(['r1']);
  });

  it('queues a store for a stored slot the module lacks', async () => {
    await addSlot(store, 'r1', 3, 'stored');

    expect(await reconciler.reconcile('r1')).toMatchObject({ found: 0, expected: 1, missingPushed: 1, ghostsDeleted: 0 });
    expect((await slots()).map((s) => [s.slot, s.state])).toEqual([[3, 'storing']]);
    expect((await pendingOps()).map((o) => [o.kind, o.slot, o.templateId])).toEqual([['store', 3, 't3']]);
  });

  it.each([
    ['a storing slot without an op gets a store op', 'storing', false, [['store', 5]], [[5, 'storing']]],
    ['a deleting slot still on the module gets a delete op', 'deleting', true, [['delete', 5]], [[5, 'deleting']]],
    ['a deleting slot already gone from the module is settled', 'deleting', false, [], []],
  ] as const)('bookkeeping whose op was lost: %s', async (_case, state, onModule, ops, left) => {
    await addSlot(store, 'r1', 5, state);
    if (onModule) module.slots.add(5);

    await reconciler.reconcile('r1');

    expect((await pendingOps()).map((o) => [o.kind, o.slot])).toEqual(ops);
    expect((await slots()).map((s) => [s.slot, s.state])).toEqual(left);
  });

  it('leaves bookkeeping alone while an Empty is pending (it makes the slots moot)', async () => {
    await addSlot(store, 'r1', 5, 'deleting');
    await addOp(store, 'r1', 'empty', null, 1);

    await reconciler.reconcile('r1');

    expect((await pendingOps()).map((o) => o.kind)).toEqual(['empty']);
    expect(await slots()).toHaveLength(1);
  });

  it('records an error when a ghost survives DeletChar', async () => {
    module.slots.add(9);
    module.stickySlots.add(9);

    const view = await reconciler.reconcile('r1');

    expect(view?.error).toMatch(/ghost in slot 9 survived DeletChar/);
    expect(await store.ds.getRepository(ReaderReconciliationEntity).count()).toBe(1);
  });

  it('does nothing for a reader that is not ready, nor after stop', async () => {
    module.slots.add(7);
    ready.clear();
    expect(await reconciler.reconcile('r1')).toBeNull();
    ready.add('r1');
    await reconciler.stop();
    expect(await reconciler.reconcile('r1')).toBeNull();
    expect([...module.slots]).toEqual([7]);
    expect(await store.ds.getRepository(ReaderReconciliationEntity).count()).toBe(0);
  });

  it('runs one reconciliation per reader at a time', async () => {
    const [a, b] = [reconciler.reconcile('r1'), reconciler.reconcile('r1')];
    expect(a).toBe(b);
    await a;
  });
});
