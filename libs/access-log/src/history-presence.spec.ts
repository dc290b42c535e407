import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { AccessEventEntity } from './access-event.entity.js';
import { countCustomerEvents } from './history-presence.js';

/** Over access-log's own access_event table in a migrated database. */
describe(countCustomerEvents.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let seq = 0;

  const event = (customerId: string | null): AccessEventEntity => {
    seq += 1;
    return {
      id: `e${seq}`,
      chainId: customerId ?? 'site:s1',
      seq,
      customerId,
      personId: null,
      siteId: 's1',
      zoneId: null,
      doorId: null,
      readerId: null,
      direction: 'entry',
      result: 'denied',
      reason: 'unknown_finger',
      kind: 'attempt',
      attemptId: `a${seq}`,
      occurredAt: seq,
      recordedAt: seq,
      prevHash: '0',
      hash: `h${seq}`,
      credential: null,
      degraded: false,
    };
  };

  beforeEach(async () => {
    db = await createLibTestDatabase([AccessEventEntity]);
    ds = db.dataSource;
    await ds.getRepository(AccessEventEntity).insert([event('c1'), event('c1'), event('c2'), event(null)]);
  });
  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['c1', 2],
    ['c2', 1],
    ['c3', 0],
  ])('counts the events of customer %s: %i', async (customerId, n) => {
    expect(await countCustomerEvents(ds.manager, customerId)).toBe(n);
  });

  it('no longer counts events the history erasure removed', async () => {
    await ds.getRepository(AccessEventEntity).delete({ customerId: 'c1' });
    expect(await countCustomerEvents(ds.manager, 'c1')).toBe(0);
  });
});
