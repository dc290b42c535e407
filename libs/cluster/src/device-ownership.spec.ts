import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FakeClock, type PeriodicJobs } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { runMigrations, WriteQueue } from '@acs/database';
import { createPostgresDatabase } from '@acs/database/testing';
import type { DeviceWiringService } from '@acs/registry';
import { createLibTestDatabase, libSchema } from '../../../test/support/lib-database.js';
import { DeviceOwnership, deviceLeaseName, type OwnershipChange } from './device-ownership.js';
import { DeviceFenceVerifier } from './fence-verifier.js';
import { ClusterLeaseEntity } from './lease.entity.js';
import { LeaseService } from './lease.service.js';

const SCHEMA = libSchema([ClusterLeaseEntity]);
const LEASE_MS = 3000;
const UNIT = { host: 'dc1-a', group: 'g1' };
const LEASE = deviceLeaseName(UNIT.host, UNIT.group);
const noJobs = { every: () => undefined, stop: () => undefined } as unknown as PeriodicJobs;

interface Backend {
  /** One data source per instance (PostgreSQL: separate pools, as separate processes would have). */
  sources: DataSource[];
  close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const db = await createLibTestDatabase(SCHEMA.entities);
  return { sources: [db.dataSource, db.dataSource, db.dataSource], close: () => db.close() };
}

async function postgresBackend(): Promise<Backend> {
  const pg = await createPostgresDatabase('acs_device_lease');
  const first = new DataSource({ type: 'postgres', url: pg.url, entities: SCHEMA.entities, migrations: SCHEMA.migrations });
  await first.initialize();
  await runMigrations(first);
  const others = [
    new DataSource({ type: 'postgres', url: pg.url, entities: SCHEMA.entities }),
    new DataSource({ type: 'postgres', url: pg.url, entities: SCHEMA.entities }),
  ];
  for (const o of others) await o.initialize();
  return {
    sources: [first, ...others],
    close: async () => {
      for (const s of [...others, first]) await s.destroy();
      await pg.drop();
    },
  };
}

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
] as const)('device ownership and fencing on %s', (_name, open) => {
  let backend: Backend;
  const clock = new FakeClock('2026-12-03T09:00:00Z');
  const wiring = { failoverUnits: async () => [UNIT] } as unknown as DeviceWiringService;
  const instances: Record<'a' | 'b' | 'c', DeviceOwnership> = {} as never;
  const changes: Record<string, OwnershipChange[]> = { a: [], b: [], c: [] };

  beforeAll(async () => {
    backend = await open();
    // SQLite: one connection, one write queue, as one process would have it.
    const queues =
      backend.sources[0] === backend.sources[1] ? Array(3).fill(new WriteQueue(backend.sources[0])) : backend.sources.map((s) => new WriteQueue(s));
    (['a', 'b', 'c'] as const).forEach((id, i) => {
      const config = loadConfig({ INSTANCE_ID: `dc1-${id}`, FAILOVER_GROUPS: 'g1', DEVICE_LEASE_MS: String(LEASE_MS) });
      const leases = new LeaseService(backend.sources[i], queues[i], clock, config);
      instances[id] = new DeviceOwnership(leases, wiring, clock, config, noJobs);
      instances[id].on('changed', (c) => changes[id].push(c));
    });
  });
  afterAll(async () => {
    await backend?.close();
  });

  const placement = { host: UNIT.host, failoverGroup: UNIT.group };
  const fenceOf = (id: 'a' | 'b' | 'c') => {
    const c = instances[id].claim(placement);
    return c.mine ? c.fence : null;
  };

  it('gives the preferred host its devices first; the others wait for the lease to lapse', async () => {
    // b sees the unit first, but may not create a lease that is not its own until it has known the unit a lease time.
    await instances.b.tick();
    clock.advance(LEASE_MS - 1);
    await instances.b.tick();
    expect(instances.b.claim(placement)).toEqual({ mine: false });
    await instances.a.tick();
    await instances.c.tick();
    expect(fenceOf('a')).toEqual({ lease: LEASE, token: expect.any(Number) });
    expect(instances.c.claim(placement).mine).toBe(false);
    // Renewals keep the token.
    const token = fenceOf('a')!.token;
    clock.advance(LEASE_MS / 2);
    await instances.a.tick();
    expect(fenceOf('a')!.token).toBe(token);
    expect(changes.a).toEqual([{ lease: LEASE, held: true, token }]);
  });

  it('keeps devices without a failover group with their host, without a fence', () => {
    expect(instances.a.claim({ host: 'dc1-a', failoverGroup: null })).toEqual({ mine: true, fence: null });
    expect(instances.b.claim({ host: 'dc1-a', failoverGroup: null })).toEqual({ mine: false });
  });

  it('moves the devices to one other instance when the holder stops renewing, with a higher token; the old holder stops at its own deadline', async () => {
    const old = fenceOf('a')!;
    clock.advance(LEASE_MS + 1);
    // a is frozen (no tick); its own clock already says the lease is over.
    expect(instances.a.claim(placement)).toEqual({ mine: false });
    expect(changes.a.at(-1)).toEqual({ lease: LEASE, held: false, token: old.token });
    await Promise.all([instances.b.tick(), instances.c.tick()]);
    const holders = (['b', 'c'] as const).filter((id) => instances[id].claim(placement).mine);
    expect(holders).toHaveLength(1);
    const fresh = fenceOf(holders[0])!;
    expect(fresh.token).toBeGreaterThan(old.token);
    // a wakes up and tries to renew: the lease is someone else's now.
    await instances.a.tick();
    expect(instances.a.claim(placement).mine).toBe(false);
    const view = await instances.a.view();
    expect(view).toEqual([
      expect.objectContaining({ lease: LEASE, group: 'g1', preferredHost: 'dc1-a', holder: `dc1-${holders[0]}`, live: true, token: fresh.token }),
    ]);
  });

  it('refuses, inside a transaction, a write carrying the deposed holder’s token and accepts the current one', async () => {
    const current = (await instances.a.view())[0].token;
    const verifier = new DeviceFenceVerifier();
    const stale = await backend.sources[0].transaction((m) =>
      verifier.stale(m, [
        { lease: LEASE, token: current },
        { lease: LEASE, token: current - 1 },
        { lease: 'devices:g1:nobody', token: 1 },
      ]),
    );
    expect([...stale].sort()).toEqual([`${LEASE}#${current - 1}`, 'devices:g1:nobody#1'].sort());
  });

  it('hands the lease back on a clean stop, and the next holder draws a higher token', async () => {
    const holder = (['b', 'c'] as const).find((id) => instances[id].claim(placement).mine)!;
    const other = holder === 'b' ? 'c' : 'b';
    const before = fenceOf(holder)!.token;
    await instances[holder].onApplicationShutdown();
    await instances[other].tick();
    expect(fenceOf(other)!.token).toBeGreaterThan(before);
  });
});
