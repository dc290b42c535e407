/**
 * Test helpers for code built on the access rules (registry, badge-in): a fluent snapshot
 * builder with harmless defaults, so a test states only the facts it is about.
 *
 *   const snap = snapshotBuilder()
 *     .customer('acme')
 *     .person('alice', 'acme')
 *     .zone('suite-1')
 *     .door('d1', 'suite-1')
 *     .schedule('office', { windows: weekdays('08:00', '18:00') })
 *     .accessLevel('suite-1-office', { zoneIds: ['suite-1'], scheduleId: 'office' })
 *     .grant('g1', { accessLevelId: 'suite-1-office', customerId: 'acme' })
 *     .build();
 *
 * Adding an id that already exists replaces it; `patch` changes some fields of an existing
 * entry. `clone` gives an independent copy to derive variants from a shared base. No
 * referential checks: tests of dangling references need to build them.
 */
import type {
  AccessLevelFacts,
  CustomerFacts,
  DoorFacts,
  GrantFacts,
  Instant,
  IsoWeekday,
  PersonFacts,
  RegistrySnapshot,
  ScheduleFacts,
  WeeklyWindow,
  ZoneFacts,
} from '../model.js';

/** Default service start: long before any instant the tests use. */
export const DEFAULT_SERVICE_START: Instant = Date.parse('2020-01-01T00:00:00Z');
export const DEFAULT_SITE_ID = 'site-1';
export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

/**
 * Epoch ms of an ISO-8601 timestamp that names its offset ("Z" or "+01:00"). A bare local time
 * would be read in the machine's zone, which is exactly the ambiguity these tests are about.
 */
export function instant(iso: string): Instant {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(iso)) throw new Error(`instant("${iso}"): give an explicit offset or Z`);
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`instant("${iso}"): not a timestamp`);
  return ms;
}

/** One window on each of the given ISO weekdays. */
export function onDays(days: readonly IsoWeekday[], start: string, end: string): WeeklyWindow[] {
  return days.map((day) => ({ day, start, end }));
}
export const weekdays = (start: string, end: string): WeeklyWindow[] => onDays([1, 2, 3, 4, 5], start, end);
export const everyDay = (start: string, end: string): WeeklyWindow[] => onDays([1, 2, 3, 4, 5, 6, 7], start, end);

type Facts<T> = Partial<Omit<T, 'id'>>;

interface Tables {
  customers: Map<string, CustomerFacts>;
  persons: Map<string, PersonFacts>;
  schedules: Map<string, ScheduleFacts>;
  accessLevels: Map<string, AccessLevelFacts>;
  grants: Map<string, GrantFacts>;
  zones: Map<string, ZoneFacts>;
  doors: Map<string, DoorFacts>;
}
type TableName = keyof Tables;
type RowOf<K extends TableName> = Tables[K] extends Map<string, infer R> ? R : never;

export class SnapshotBuilder {
  private readonly tables: Tables = {
    customers: new Map(),
    persons: new Map(),
    schedules: new Map(),
    accessLevels: new Map(),
    grants: new Map(),
    zones: new Map(),
    doors: new Map(),
  };

  customer(id: string, facts: Facts<CustomerFacts> = {}): this {
    this.tables.customers.set(id, { id, serviceStart: DEFAULT_SERVICE_START, serviceEnd: null, purgedAt: null, ...facts });
    return this;
  }

  person(id: string, customerId: string, facts: Facts<Omit<PersonFacts, 'customerId'>> = {}): this {
    this.tables.persons.set(id, { id, customerId, status: 'active', validFrom: null, validUntil: null, ...facts });
    return this;
  }

  schedule(id: string, facts: Facts<ScheduleFacts> = {}): this {
    this.tables.schedules.set(id, {
      id,
      timeZone: DEFAULT_TIME_ZONE,
      windows: [],
      holidays: [],
      holidayWindows: [],
      ...facts,
    });
    return this;
  }

  zone(id: string, facts: Facts<ZoneFacts> = {}): this {
    this.tables.zones.set(id, {
      id,
      siteId: DEFAULT_SITE_ID,
      lockdown: false,
      antiPassback: 'off',
      interlockGroup: null,
      twoPersonWindowSeconds: null,
      ...facts,
    });
    return this;
  }

  /** The door's site defaults to its zone's site when the zone was added first. */
  door(id: string, zoneId: string, facts: Facts<Omit<DoorFacts, 'zoneId'>> = {}): this {
    const siteId = this.tables.zones.get(zoneId)?.siteId ?? DEFAULT_SITE_ID;
    this.tables.doors.set(id, { id, zoneId, siteId, ...facts });
    return this;
  }

  accessLevel(id: string, facts: Facts<AccessLevelFacts> = {}): this {
    this.tables.accessLevels.set(id, { id, zoneIds: [], doorIds: [], scheduleId: null, ...facts });
    return this;
  }

  grant(id: string, facts: Pick<GrantFacts, 'accessLevelId' | 'customerId'> & Facts<Omit<GrantFacts, 'accessLevelId' | 'customerId'>>): this {
    this.tables.grants.set(id, { id, personId: null, validFrom: null, validUntil: null, ...facts });
    return this;
  }

  /** Change fields of an existing entry; throws for an unknown id so a typo cannot pass silently. */
  patch<K extends TableName>(table: K, id: string, changes: Facts<RowOf<K>>): this {
    const map = this.tables[table] as unknown as Map<string, RowOf<K>>;
    const current = map.get(id);
    if (!current) throw new Error(`patch: no ${table} entry "${id}"`);
    map.set(id, { ...current, ...changes });
    return this;
  }

  remove(table: TableName, id: string): this {
    if (!this.tables[table].delete(id)) throw new Error(`remove: no ${table} entry "${id}"`);
    return this;
  }

  clone(): SnapshotBuilder {
    const copy = new SnapshotBuilder();
    for (const name of Object.keys(this.tables) as TableName[]) {
      const target = copy.tables[name] as Map<string, unknown>;
      for (const [id, row] of this.tables[name]) target.set(id, structuredClone(row));
    }
    return copy;
  }

  /** A snapshot detached from the builder: later builder calls do not change it. */
  build(): RegistrySnapshot {
    const copy = this.clone().tables;
    return {
      customers: copy.customers,
      persons: copy.persons,
      schedules: copy.schedules,
      accessLevels: copy.accessLevels,
      grants: [...copy.grants.values()],
      zones: copy.zones,
      doors: copy.doors,
    };
  }
}

export function snapshotBuilder(): SnapshotBuilder {
  return new SnapshotBuilder();
}
