import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { RegistrySnapshot } from '@acs/access-rules';
import { AccessLevelEntity, CustomerEntity, DoorEntity, GrantEntity, PersonEntity, ScheduleEntity, ZoneEntity } from '../entities/index.js';
import { RegistryChanges } from '../common/registry-changes.js';

/** Reads the registry into the plain snapshot the access rules work on. No personal data. */
export async function loadSnapshot(m: EntityManager): Promise<RegistrySnapshot> {
  const [customers, persons, schedules, levels, grants, zones, doors, levelZones, levelDoors] = await Promise.all([
    m.find(CustomerEntity, { select: { id: true, serviceStart: true, serviceEnd: true, purgedAt: true } }),
    m.find(PersonEntity, { select: { id: true, customerId: true, status: true, validFrom: true, validUntil: true, escortPersonId: true } }),
    m.find(ScheduleEntity),
    m.find(AccessLevelEntity, { select: { id: true, scheduleId: true } }),
    m.find(GrantEntity),
    m.find(ZoneEntity),
    m.find(DoorEntity, { relations: { zone: true } }),
    m
      .createQueryBuilder()
      .select(['j.access_level_id AS level', 'j.zone_id AS target'])
      .from('access_level_zone', 'j')
      .getRawMany<{ level: string; target: string }>(),
    m
      .createQueryBuilder()
      .select(['j.access_level_id AS level', 'j.door_id AS target'])
      .from('access_level_door', 'j')
      .getRawMany<{ level: string; target: string }>(),
  ]);
  const byLevel = (rows: Array<{ level: string; target: string }>, level: string) => rows.filter((r) => r.level === level).map((r) => r.target);
  return {
    customers: new Map(customers.map((c) => [c.id, { id: c.id, serviceStart: c.serviceStart, serviceEnd: c.serviceEnd, purgedAt: c.purgedAt }])),
    persons: new Map(
      persons.map((p) => [
        p.id,
        {
          id: p.id,
          customerId: p.customerId,
          status: p.status,
          validFrom: p.validFrom,
          validUntil: p.validUntil,
          ...(p.escortPersonId !== null ? { escortedBy: p.escortPersonId } : {}),
        },
      ]),
    ),
    schedules: new Map(
      schedules.map((s) => [s.id, { id: s.id, timeZone: s.timeZone, windows: s.windows, holidays: s.holidays, holidayWindows: s.holidayWindows }]),
    ),
    accessLevels: new Map(
      levels.map((l) => [l.id, { id: l.id, scheduleId: l.scheduleId, zoneIds: byLevel(levelZones, l.id), doorIds: byLevel(levelDoors, l.id) }]),
    ),
    grants: grants.map((g) => ({
      id: g.id,
      accessLevelId: g.accessLevelId,
      customerId: g.customerId,
      personId: g.personId,
      validFrom: g.validFrom,
      validUntil: g.validUntil,
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
