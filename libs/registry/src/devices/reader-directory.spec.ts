import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { ControllerEntity, DoorEntity, ReaderEntity, SiteEntity, ZoneEntity, type ReaderRole } from '../entities/index.js';
import { ReaderDirectory } from './reader-directory.js';

const AT = Date.parse('2026-12-01T09:00:00Z');

/** The directory over the registry's device tables in a migrated database (sites and zones because doors and readers refer to them). */
describe(ReaderDirectory.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let directory: ReaderDirectory;

  const reader = (id: string, name: string, host: string, role: ReaderRole = 'door') => ({
    id,
    siteId: 'site-1',
    name,
    model: 'R50x' as const,
    transport: `tcp://127.0.0.1/${id}`,
    host,
    address: 0xffffffff,
    passwordCt: `ct-${id}`,
    role,
    capacity: null,
    declaredCapacity: 200,
    createdAt: AT,
  });
  const door = (id: string, entryReaderId: string | null, exitReaderId: string | null) => ({
    id,
    zoneId: 'zone-1',
    name: `Door ${id}`,
    entryReaderId,
    exitReaderId,
    controllerId: null,
    relayChannel: 1,
    heldOpenSeconds: 30,
    failMode: 'secure' as const,
    createdAt: AT,
  });

  beforeEach(async () => {
    db = await createLibTestDatabase([SiteEntity, ZoneEntity, ReaderEntity, ControllerEntity, DoorEntity]);
    ds = db.dataSource;
    directory = new ReaderDirectory(ds);
    await ds.getRepository(SiteEntity).insert({ id: 'site-1', name: 'AMS1', timeZone: 'Europe/Amsterdam', createdAt: AT });
    await ds.getRepository(ZoneEntity).insert({
      id: 'zone-1',
      siteId: 'site-1',
      parentZoneId: null,
      name: 'Hall',
      kind: 'suite',
      antiPassback: 'off',
      interlockGroup: null,
      twoPersonWindowSeconds: null,
      lockdown: false,
      createdAt: AT,
    });
    await ds
      .getRepository(ReaderEntity)
      .insert([reader('r-c', 'Cage exit', 'node-a'), reader('r-a', 'Hall entry', 'node-b'), reader('r-b', 'Desk', 'node-a', 'enrolment')]);
    await ds.getRepository(ReaderEntity).update({ id: 'r-a' }, { capacity: 180 });
    await ds.getRepository(DoorEntity).insert([door('d-1', 'r-a', 'r-c'), door('d-2', null, null)]);
  });
  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['node-a', ['r-b', 'r-c']],
    ['node-b', ['r-a']],
    ['node-z', []],
  ])('readersOnHost(%s) holds only the readers wired to that instance', async (host, ids) => {
    const rows = await directory.readersOnHost(host);
    expect(rows.map((r) => r.id).sort()).toEqual(ids);
  });

  it('hands over what the fleet opens and plans with: transport, address, password ciphertext, role, both capacities', async () => {
    const r = await directory.reader('r-a');
    expect(r).toMatchObject({
      id: 'r-a',
      name: 'Hall entry',
      model: 'R50x',
      transport: 'tcp://127.0.0.1/r-a',
      host: 'node-b',
      address: 0xffffffff,
      passwordCt: 'ct-r-a',
      role: 'door',
      capacity: 180,
      declaredCapacity: 200,
    });
    expect(await directory.reader('r-missing')).toBeNull();
  });

  it('lists every reader, and by name for the staff views', async () => {
    expect((await directory.readers()).map((r) => r.id).sort()).toEqual(['r-a', 'r-b', 'r-c']);
    expect((await directory.readersByName()).map((r) => r.name)).toEqual(['Cage exit', 'Desk', 'Hall entry']);
  });

  it('gives each door only its entry and exit reader', async () => {
    const doors = await directory.doorReaders();
    expect(doors.map((d) => ({ ...d })).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'd-1', entryReaderId: 'r-a', exitReaderId: 'r-c' },
      { id: 'd-2', entryReaderId: null, exitReaderId: null },
    ]);
  });

  it("reads through the caller's EntityManager, so the fleet plans on what its own transaction sees", async () => {
    await ds.transaction(async (m) => {
      const find = jest.spyOn(m, 'find');
      await m.insert(ReaderEntity, reader('r-new', 'New', 'node-a'));
      await m.insert(DoorEntity, door('d-new', 'r-new', null));
      expect((await directory.readers(m)).map((r) => r.id)).toContain('r-new');
      expect((await directory.doorReaders(m)).map((d) => d.id)).toContain('d-new');
      expect(await directory.readersOnHost('node-a', m)).toHaveLength(3);
      expect(find).toHaveBeenCalledTimes(3);
    });
  });
});
