import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FakeClock, type PeriodicJobs } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { DatabaseHealth, runMigrations, WriteQueue } from '@acs/database';
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

describe('device ownership through a database outage (SQLite; the outage is one instance’s database calls failing)', () => {
  const clock = new FakeClock('2026-12-04T09:00:00Z');
  let db: Awaited<ReturnType<typeof createLibTestDatabase>>;
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const placement = { host: UNIT.host, failoverGroup: UNIT.group };
  type Node = { own: DeviceOwnership; health: DatabaseHealth; cut: boolean; changes: OwnershipChange[]; outages: boolean[] };
  const nodes: Record<'a' | 'b', Node> = {} as never;

  beforeAll(async () => {
    db = await createLibTestDatabase(SCHEMA.entities);
    const queue = new WriteQueue(db.dataSource);
    for (const id of ['a', 'b'] as const) {
      const config = loadConfig({ INSTANCE_ID: `dc1-${id}`, FAILOVER_GROUPS: 'g1', DEVICE_LEASE_MS: String(LEASE_MS), DEGRADED_WINDOW_S: '60' });
      const health = new DatabaseHealth(db.dataSource, clock, noJobs);
      const node = { health, cut: false, changes: [], outages: [] } as unknown as Node;
      const real = new LeaseService(db.dataSource, queue, clock, config);
      const leases = {
        take: (...args: Parameters<LeaseService['take']>) => (node.cut ? Promise.reject(refused()) : real.take(...args)),
        release: (name: string) => real.release(name),
        list: (prefix: string) => real.list(prefix),
      } as unknown as LeaseService;
      const wiring = { failoverUnits: async () => (node.cut ? Promise.reject(refused()) : [UNIT]) } as unknown as DeviceWiringService;
      node.own = new DeviceOwnership(leases, wiring, clock, config, noJobs, health);
      node.own.on('changed', (c) => node.changes.push(c));
      node.own.on('outage', (d) => node.outages.push(d));
      nodes[id] = node;
    }
  });
  afterAll(async () => {
    await db?.close();
  });
  const fence = (id: 'a' | 'b') => {
    const c = nodes[id].own.claim(placement);
    return c.mine ? { ...c.fence!, throughOutage: c.throughOutage ?? false } : null;
  };
  const cut = (id: 'a' | 'b', on: boolean) => {
    nodes[id].cut = on;
    // The probe's outcome, as DatabaseHealth's periodic SELECT 1 would report it.
    if (on) nodes[id].health.noteFailure(refused());
    else nodes[id].health.noteSuccess();
  };

  it('keeps the lease held when the outage began past its deadline, for the window, and takes nothing new', async () => {
    await nodes.a.own.tick();
    const token = fence('a')!.token;
    clock.advance(1000);
    nodes.a.cut = true;
    nodes.b.cut = true;
    // A's renewal meets the outage: degraded from now, the lease kept.
    await nodes.a.own.tick();
    expect(nodes.a.health.degraded).toBe(true);
    expect(nodes.a.outages).toEqual([true]);
    cut('b', true);
    clock.advance(LEASE_MS * 5);
    expect(fence('a')).toEqual({ lease: LEASE, token, throughOutage: true });
    // B could not take it anyway; it does not even try while degraded.
    await nodes.b.own.tick();
    expect(nodes.b.own.claim(placement).mine).toBe(false);
  });

  it('after the recovery renews the kept lease with its token and says so; the others wait a lease time before taking any', async () => {
    const token = fence('a')!.token;
    // B is back first and ticks at once: A's lease row has expired, but B leaves it alone.
    cut('b', false);
    await nodes.b.own.tick();
    expect(nodes.b.own.claim(placement).mine).toBe(false);
    nodes.a.changes.length = 0;
    cut('a', false);
    // DatabaseHealth's recovery starts A's round at once.
    await nodes.a.own.tick();
    expect(fence('a')).toEqual({ lease: LEASE, token, throughOutage: false });
    expect(nodes.a.changes).toEqual([{ lease: LEASE, held: true, token }]);
  });

  it('partial partition: B reaches the database and takes the unit over; A keeps it while cut off, and lets go the moment it is back', async () => {
    // A lease time after the recovery, A renewing as usual.
    clock.advance(LEASE_MS / 2);
    await nodes.a.own.tick();
    clock.advance(LEASE_MS / 2);
    await nodes.a.own.tick();
    const old = fence('a')!.token;
    nodes.a.cut = true;
    await nodes.a.own.tick();
    expect(nodes.a.health.degraded).toBe(true);
    clock.advance(LEASE_MS + 1);
    await nodes.b.own.tick();
    const taken = fence('b')!;
    expect(taken.token).toBeGreaterThan(old);
    // A cannot know: it keeps its old fence, which the controller refuses once B has used the new one.
    expect(fence('a')).toEqual({ lease: LEASE, token: old, throughOutage: true });
    cut('a', false);
    expect(fence('a')).toEqual({ lease: LEASE, token: old, throughOutage: true });
    await nodes.a.own.tick();
    expect(nodes.a.own.claim(placement)).toEqual({ mine: false });
    expect(nodes.a.changes.at(-1)).toEqual({ lease: LEASE, held: false, token: old });
  });

  it('a lease that lapsed before the outage began is not revived by it', async () => {
    // B holds it; B is paused past its lease, then wakes into an outage.
    clock.advance(LEASE_MS + 1);
    nodes.b.cut = true;
    await nodes.b.own.tick();
    expect(nodes.b.health.degraded).toBe(true);
    expect(nodes.b.own.claim(placement)).toEqual({ mine: false });
    cut('b', false);
  });
});
