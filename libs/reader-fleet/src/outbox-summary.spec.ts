import { afterEach, describe, expect, it } from '@jest/globals';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../test/support/lib-database.js';
import { READER_FLEET_ENTITIES, ReaderOpEntity, type ReaderOpState } from './entities.js';
import { readerOutboxSummary } from './outbox-summary.js';

const READER = '0193a000-0000-7000-8000-0000000000a1';

describe.each(ENGINES)('readerOutboxSummary (%s)', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(() => db?.close());

  const op = (seq: number, state: ReaderOpState, createdAt: number) =>
    db!.dataSource.getRepository(ReaderOpEntity).insert({
      id: `0193a000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
      seq,
      readerId: READER,
      kind: 'delete',
      templateId: null,
      slot: seq,
      state,
      attempts: 0,
      lastError: null,
      createdAt,
      doneAt: null,
    });

  it('counts pending operations only and names when the oldest pending one was queued', async () => {
    db = await createLibTestDatabaseOn(engine, READER_FLEET_ENTITIES);
    await expect(readerOutboxSummary(db.dataSource)).resolves.toEqual({ pending: 0, oldestQueuedAt: null });
    await op(1, 'done', 1_600_000_000_000);
    await op(2, 'pending', 1_800_000_000_000);
    await op(3, 'pending', 1_700_000_000_000);
    await op(4, 'failed', 1_500_000_000_000);
    await expect(readerOutboxSummary(db.dataSource)).resolves.toEqual({ pending: 2, oldestQueuedAt: 1_700_000_000_000 });
  });
});
