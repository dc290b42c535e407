import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ReaderSlotEntity } from './entities.js';
import { readersHolding } from './template-presence.js';
import { libraryStore } from './testing/library-store.js';

/** Over the fleet's migrated reader_slot table: who holds a subject, before an erasure starts. */
describe(readersHolding.name, () => {
  let store: Awaited<ReturnType<typeof libraryStore>>;

  const slot = (readerId: string, n: number, templateId: string, personId: string, customerId: string, state: ReaderSlotEntity['state']) =>
    store.ds.getRepository(ReaderSlotEntity).insert({ readerId, slot: n, templateId, personId, customerId, state, updatedAt: 0 });

  beforeEach(async () => {
    store = await libraryStore();
    await slot('r-b', 0, 't1', 'p1', 'c1', 'stored');
    await slot('r-b', 1, 't2', 'p1', 'c1', 'stored');
    // A slot planned away but not yet verified empty still holds the template.
    await slot('r-a', 4, 't1', 'p1', 'c1', 'deleting');
    await slot('r-a', 5, 't3', 'p2', 'c1', 'storing');
    await slot('r-c', 0, 't4', 'p3', 'c2', 'stored');
  });
  afterEach(async () => {
    await store.close();
  });

  it.each([
    [
      { customerId: 'c1' },
      [
        { readerId: 'r-a', slots: 2 },
        { readerId: 'r-b', slots: 2 },
      ],
    ],
    [{ customerId: 'c2' }, [{ readerId: 'r-c', slots: 1 }]],
    [{ customerId: 'nobody' }, []],
    [
      { personId: 'p1' },
      [
        { readerId: 'r-a', slots: 1 },
        { readerId: 'r-b', slots: 2 },
      ],
    ],
    [{ personId: 'p2' }, [{ readerId: 'r-a', slots: 1 }]],
    [
      { templateId: 't1' },
      [
        { readerId: 'r-a', slots: 1 },
        { readerId: 'r-b', slots: 1 },
      ],
    ],
  ])('%j is held by %j', async (subject, expected) => {
    expect(await readersHolding(store.ds.manager, subject)).toEqual(expected);
  });
});
