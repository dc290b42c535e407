import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { clusterLock, runMigrations, WriteQueue } from '@acs/database';
import { createPostgresDatabase, type TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase, libSchema } from '../../../test/support/lib-database.js';
import { ClusterLeaseEntity } from './lease.entity.js';
import { LeaseService } from './lease.service.js';

const SCHEMA = libSchema([ClusterLeaseEntity]);
import { setTimeout as sleep } from 'node:timers/promises';

interface Backend {
  ds: DataSource;
  close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const db: TestDatabase = await createLibTestDatabase(SCHEMA.entities);
  return { ds: db.dataSource, close: () => db.close() };
}

/** Two instances share one PostgreSQL database: two data sources (two pools) on it. */
async function postgresBackend(): Promise<Backend & { second: DataSource }> {
  const pg = await createPostgresDatabase('acs_lease');
  const url = pg.url;
  const ds = new DataSource({ type: 'postgres', url, entities: SCHEMA.entities, migrations: SCHEMA.migrations });
  await ds.initialize();
  await runMigrations(ds);
  const second = new DataSource({ type: 'postgres', url, entities: SCHEMA.entities });
  await second.initialize();
  return {
    ds,
    second,
    close: async () => {
      await second.destroy();
      await ds.destroy();
      await pg.drop();
    },
  };
}

function instance(ds: DataSource, writes: WriteQueue, clock: FakeClock, id: string): LeaseService {
  return new LeaseService(ds, writes, clock, loadConfig({ INSTANCE_ID: id, CLUSTER_LEASE_S: '10' }));
}

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
] as const)('cluster leases on %s', (_name, open) => {
  let backend: Backend & { second?: DataSource };
  const clock = new FakeClock('2026-11-26T09:00:00Z');
  let a: LeaseService;
  let b: LeaseService;

  beforeAll(async () => {
    backend = await open();
    // SQLite: both share the one connection, so they share its write queue too (two processes
    // would each have their own connection and the file lock between them).
    const writesA = new WriteQueue(backend.ds);
    a = instance(backend.ds, writesA, clock, 'dc1-a');
    b = backend.second ? instance(backend.second, new WriteQueue(backend.second), clock, 'dc1-b') : instance(backend.ds, writesA, clock, 'dc1-b');
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('gives a free lease to the first taker, renews it for the holder and refuses the other', async () => {
    await expect(a.acquire('job-1')).resolves.toBe(true);
    await expect(b.acquire('job-1')).resolves.toBe(false);
    clock.advance(9_000);
    await expect(a.acquire('job-1')).resolves.toBe(true);
    clock.advance(9_000);
    // Renewed 9 s ago with a 10 s lease: still a's.
    await expect(b.acquire('job-1')).resolves.toBe(false);
    await expect(b.holder('job-1')).resolves.toMatchObject({ holder: 'dc1-a' });
  });

  it('hands an expired lease over (the holder died) and the old holder cannot take it back', async () => {
    await expect(a.acquire('job-2')).resolves.toBe(true);
    clock.advance(10_001);
    await expect(b.acquire('job-2')).resolves.toBe(true);
    await expect(a.acquire('job-2')).resolves.toBe(false);
  });

  it('lets exactly one of many concurrent takers win a free lease', async () => {
    const takers = [a, b, a, b, b, a];
    const results = await Promise.all(takers.map((t) => t.acquire('job-3')));
    expect(results).toContain(true);
    const holder = await a.holder('job-3');
    // Every "true" came from the holder's own instance (renewals of its own lease), none from the other.
    const winners = new Set(takers.filter((_, i) => results[i]).map((t) => t.instanceId));
    expect([...winners]).toEqual([holder!.holder]);
  });

  it('frees a released lease at once', async () => {
    await expect(a.acquire('job-4')).resolves.toBe(true);
    await a.release('job-4');
    await expect(b.acquire('job-4')).resolves.toBe(true);
  });
});

describe('clusterLock on PostgreSQL', () => {
  let backend: Awaited<ReturnType<typeof postgresBackend>>;
  beforeAll(async () => {
    backend = await postgresBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('makes a second instance wait until the first commits (max+1 never repeats)', async () => {
    await backend.ds.query('CREATE TABLE lock_probe (seq integer PRIMARY KEY)');
    const append = (ds: DataSource) =>
      ds.transaction(async (m) => {
        await clusterLock(m, 'probe');
        const [{ next }] = (await m.query('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM lock_probe')) as Array<{ next: number }>;
        // Widen the window between read and write: without the lock the other pool reads the same max.
        await sleep(20);
        await m.query('INSERT INTO lock_probe (seq) VALUES ($1)', [next]);
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => append(i % 2 === 0 ? backend.ds : backend.second)));
    const rows = (await backend.ds.query('SELECT seq FROM lock_probe ORDER BY seq')) as Array<{ seq: number }>;
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
