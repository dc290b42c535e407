import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FakeClock, PeriodicJobs } from '@acs/clock';
import { CLUSTER_ENTITIES, LeaseService } from '@acs/cluster';
import { loadConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import type { ErasureService } from './erasure.service.js';
import { PurgeScheduler } from './purge.scheduler.js';

describe('scheduled purge check across several instances', () => {
  let db: TestDatabase;
  const clock = new FakeClock('2026-11-26T09:00:00Z');
  const runs: string[] = [];

  /** One instance's scheduler; its erasure service only notes which instance ran the check. */
  const instance = (id: string, writes: WriteQueue) => {
    const config = loadConfig({ INSTANCE_ID: id, PURGE_CHECK_INTERVAL_S: '60' });
    const erasure = { runScheduled: async () => (runs.push(id), { started: [], historyExpired: 0 }) } as unknown as ErasureService;
    return new PurgeScheduler(config, new PeriodicJobs(new SchedulerRegistry()), erasure, new LeaseService(db.dataSource, writes, clock, config));
  };

  beforeAll(async () => {
    db = await createLibTestDatabase(CLUSTER_ENTITIES);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('checks once per round however many instances run the schedule, and moves on when the holder stops', async () => {
    const [a, b, c] = ['dc1-a', 'dc1-b', 'dc1-c'].map((id) => instance(id, db.writes));
    await Promise.all([a.run(), b.run(), c.run()]);
    expect(runs).toEqual(['dc1-a']);

    clock.advance(60_000);
    await Promise.all([c.run(), b.run(), a.run()]);
    // The holder renews its lease: still only one check per round, by the same instance.
    expect(runs).toEqual(['dc1-a', 'dc1-a']);

    // dc1-a stops: after its lease (two check intervals) another instance takes over.
    clock.advance(121_000);
    await Promise.all([b.run(), c.run()]);
    expect(runs).toHaveLength(3);
    expect(['dc1-b', 'dc1-c']).toContain(runs[2]);
  });
});
