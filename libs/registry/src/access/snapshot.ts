import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { RegistrySnapshot } from '@acs/access-rules';
import { readAll } from '@acs/database';
import { AccessLevelEntity, CustomerEntity, DoorEntity, type PersonEntity, ScheduleEntity, ZoneEntity } from '../entities/index.js';
import { RegistryChanges } from '../common/registry-changes.js';

interface PersonRow {
  id: string;
  customer_id: string;
  status: PersonEntity['status'];
  valid_from: number | string | null;
  valid_until: number | string | null;
  escort_person_id: string | null;
}

interface GrantRow {
  id: string;
  access_level_id: string;
  customer_id: string;
  person_id: string | null;
  valid_from: number | string | null;
  valid_until: number | string | null;
}

/** bigint columns: PostgreSQL's driver gives strings (as the entities' epochMs transformer reads them). */
const ms = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * Reads the registry into the plain snapshot the access rules work on. No personal data.
 *
 * People and grants, the tables that grow (20,000 of each in `npm run bench -- scale`), are read
 * as rows through `m` (its transaction, when it has one): TypeORM's entity mapping was most of a
 * rebuild, which the first badge-in after every registry change waits for and which the capacity
 * check runs inside the change's transaction. The small tables keep their entities.
 */
export async function loadSnapshot(m: EntityManager): Promise<RegistrySnapshot> {
  // Inside a transaction (the capacity check) `m` is one connection: readAll says why that matters.
  const [customers, personRows, schedules, levels, grantRows, zones, doors, levelZones, levelDoors] = await readAll(m, [
    () => m.find(CustomerEntity, { select: { id: true, serviceStart: true, serviceEnd: true, purgedAt: true } }),
    () => m.query('SELECT id, customer_id, status, valid_from, valid_until, escort_person_id FROM person') as Promise<PersonRow[]>,
    () => m.find(ScheduleEntity),
    () => m.find(AccessLevelEntity, { select: { id: true, scheduleId: true } }),
    () => m.query('SELECT id, access_level_id, customer_id, person_id, valid_from, valid_until FROM access_grant') as Promise<GrantRow[]>,
    () => m.find(ZoneEntity),
    () => m.find(DoorEntity, { relations: { zone: true } }),
    () =>
      m
        .createQueryBuilder()
        .select(['j.access_level_id AS level', 'j.zone_id AS target'])
        .from('access_level_zone', 'j')
        .getRawMany<{ level: string; target: string }>(),
    () =>
      m
        .createQueryBuilder()
        .select(['j.access_level_id AS level', 'j.door_id AS target'])
        .from('access_level_door', 'j')
        .getRawMany<{ level: string; target: string }>(),
  ] as const);
  const targetsOf = (rows: Array<{ level: string; target: string }>) => {
    const out = new Map<string, string[]>();
    for (const r of rows) {
      const targets = out.get(r.level);
      if (targets) targets.push(r.target);
      else out.set(r.level, [r.target]);
    }
    return out;
  };
  const [zonesOf, doorsOf] = [targetsOf(levelZones), targetsOf(levelDoors)];
  return {
    customers: new Map(customers.map((c) => [c.id, { id: c.id, serviceStart: c.serviceStart, serviceEnd: c.serviceEnd, purgedAt: c.purgedAt }])),
    persons: new Map(
      personRows.map((p) => [
        p.id,
        {
          id: p.id,
          customerId: p.customer_id,
          status: p.status,
          validFrom: ms(p.valid_from),
          validUntil: ms(p.valid_until),
          ...(p.escort_person_id !== null ? { escortedBy: p.escort_person_id } : {}),
        },
      ]),
    ),
    schedules: new Map(
      schedules.map((s) => [s.id, { id: s.id, timeZone: s.timeZone, windows: s.windows, holidays: s.holidays, holidayWindows: s.holidayWindows }]),
    ),
    accessLevels: new Map(
      levels.map((l) => [l.id, { id: l.id, scheduleId: l.scheduleId, zoneIds: zonesOf.get(l.id) ?? [], doorIds: doorsOf.get(l.id) ?? [] }]),
    ),
    grants: grantRows.map((g) => ({
      id: g.id,
      accessLevelId: g.access_level_id,
      customerId: g.customer_id,
      personId: g.person_id,
      validFrom: ms(g.valid_from),
      validUntil: ms(g.valid_until),
    })),
    zones: new Map(
      zones.map((z) => [
        z.id,
        {
          id: z.id,
          siteId: z.siteId,
          lockdown: z.lockdown,
          antiPassback: z.antiPassback,
          interlockGroup: z.interlockGroup,
          twoPersonWindowSeconds: z.twoPersonWindowSeconds,
          credentialPolicy: z.credentialPolicy,
        },
      ]),
    ),
    doors: new Map(
      doors.map((d) => [d.id, { id: d.id, zoneId: d.zoneId, siteId: d.zone!.siteId, ...(d.credentialPolicy ? { credentialPolicy: d.credentialPolicy } : {}) }]),
    ),
  };
}

/**
 * The registry snapshot, kept in memory and rebuilt after a committed change, so decision paths
 * (effective access now, badge-in later) read no database.
 */
@Injectable()
export class RegistrySnapshotService {
  private cached: { version: number; snapshot: Promise<RegistrySnapshot> } | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly changes: RegistryChanges,
  ) {}

  current(): Promise<RegistrySnapshot> {
    const version = this.changes.currentVersion;
    if (!this.cached || this.cached.version !== version) {
      const snapshot = loadSnapshot(this.ds.manager);
      this.cached = { version, snapshot };
      snapshot.catch(() => {
        if (this.cached?.snapshot === snapshot) this.cached = undefined;
      });
    }
    return this.cached.snapshot;
  }
}
