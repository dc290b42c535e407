import { afterEach, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../../test/support/lib-database.js';
import { REGISTRY_ENTITIES } from '../entities/index.js';
import { CapacityGuard } from './capacity.guard.js';
import { FingerCountsPort } from './finger-counts.port.js';

/**
 * The capacity check runs inside the registry change's transaction, whose manager is one
 * connection. A query handed to it before the previous one answered is queued by node-postgres
 * with a deprecation warning since pg 8.19 (the queue is to go in pg 9); CI's two-instance runs printed that
 * warning from the check's Promise.all. Counted at TypeORM's query runner, so both engines show it.
 */
describe.each(ENGINES)('CapacityGuard inside a transaction (%s)', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(() => db?.close());

  it("reads through the transaction's connection one query at a time", async () => {
    db = await createLibTestDatabaseOn(engine, REGISTRY_ENTITIES);
    const guard = new CapacityGuard(new FakeClock('2026-12-05T09:00:00Z'), new FingerCountsPort());
    let running = 0;
    let most = 0;
    let queries = 0;
    const loads = await db.dataSource.transaction(async (m: EntityManager) => {
      const runner = m.queryRunner!;
      const query = runner.query.bind(runner);
      runner.query = (async (...args: Parameters<typeof query>) => {
        running++;
        queries++;
        most = Math.max(most, running);
        try {
          return await query(...args);
        } finally {
          running--;
        }
      }) as typeof runner.query;
      return guard.loads(m);
    });
    expect(loads).toEqual([]);
    expect(queries).toBeGreaterThan(5);
    expect(most).toBe(1);
  });
});
