import fc from 'fast-check';
import { personsCoveredByDoors, personsCoveredByEachDoor, type RegistrySnapshot } from '@acs/access-rules';
import type { CustomerFacts, DoorFacts, GrantFacts, Instant, PersonFacts } from './model.js';
import { fuzzSettings } from '../../../test/support/fuzz.js';

/**
 * The rule as it reads, one door set at a time, over every person and every grant: the one-pass
 * {@link personsCoveredByEachDoor} must give each door exactly this set.
 */
function oracle(snapshot: RegistrySnapshot, doorIds: readonly string[], at: Instant): Set<string> {
  const doors = doorIds.map((id) => snapshot.doors.get(id)).filter((d): d is DoorFacts => d !== undefined);
  const out = new Set<string>();
  for (const person of snapshot.persons.values()) {
    const customer = snapshot.customers.get(person.customerId);
    if (person.status !== 'active' || !customer || customer.purgedAt !== null) continue;
    for (const grant of snapshot.grants) {
      const level = snapshot.accessLevels.get(grant.accessLevelId);
      if (!level || !doors.some((d) => level.doorIds.includes(d.id) || level.zoneIds.includes(d.zoneId))) continue;
      if (grant.customerId !== person.customerId || (grant.personId !== null && grant.personId !== person.id)) continue;
      const from = Math.max(customer.serviceStart, person.validFrom ?? -Infinity, grant.validFrom ?? -Infinity);
      const ends = [customer.serviceEnd, person.validUntil, grant.validUntil].filter((x): x is number => x !== null);
      const until = ends.length > 0 ? Math.min(...ends) : Infinity;
      if (until > at && until > from) out.add(person.id);
    }
  }
  return out;
}

const AT = 1_000;
/** Instants around AT, so that every window relation (ended, current, later, empty) occurs. */
const instant = fc.constantFrom(0, 500, 999, 1_000, 1_001, 1_500, 2_000);
/** Null half the time (fast-check's default makes null the rare case). */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 2 });

const snapshotArb: fc.Arbitrary<RegistrySnapshot> = fc
  .record({
    customers: fc.array(fc.record({ serviceStart: instant, serviceEnd: maybe(instant), purgedAt: fc.constantFrom(null, null, null, 500) }), {
      minLength: 1,
      maxLength: 2,
    }),
    persons: fc.array(
      fc.record({
        customer: fc.nat(3),
        status: fc.constantFrom('active', 'active', 'suspended', 'restricted'),
        validFrom: maybe(instant),
        validUntil: maybe(instant),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    zones: fc.integer({ min: 1, max: 3 }),
    doors: fc.array(fc.nat(5), { minLength: 1, maxLength: 5 }),
    levels: fc.array(fc.record({ zones: fc.uniqueArray(fc.nat(5), { maxLength: 2 }), doors: fc.uniqueArray(fc.nat(6), { maxLength: 2 }) }), { maxLength: 3 }),
    grants: fc.array(fc.record({ level: fc.nat(3), customer: fc.nat(3), person: maybe(fc.nat(6)), validFrom: maybe(instant), validUntil: maybe(instant) }), {
      maxLength: 8,
    }),
  })
  .map((r) => {
    const customers = r.customers.map((c, i): CustomerFacts => ({ id: `c${i}`, ...c }));
    const persons = r.persons.map((p, i): PersonFacts => ({
      id: `p${i}`,
      customerId: `c${p.customer % (customers.length + 1)}`, // sometimes a customer that is not there
      status: p.status as PersonFacts['status'],
      validFrom: p.validFrom,
      validUntil: p.validUntil,
    }));
    const doors = r.doors.map((z, i): DoorFacts => ({ id: `d${i}`, siteId: 's', zoneId: `z${z % r.zones}` }));
    const grants = r.grants.map((g, i): GrantFacts => ({
      id: `g${i}`,
      accessLevelId: `l${g.level}`, // sometimes a level that is not there
      customerId: `c${g.customer % (customers.length + 1)}`,
      personId: g.person === null ? null : `p${g.person}`, // sometimes someone else's, or nobody
      validFrom: g.validFrom,
      validUntil: g.validUntil,
    }));
    return {
      customers: new Map(customers.map((c) => [c.id, c])),
      persons: new Map(persons.map((p) => [p.id, p])),
      schedules: new Map(),
      accessLevels: new Map(
        r.levels.map((l, i) => [`l${i}`, { id: `l${i}`, zoneIds: l.zones.map((z) => `z${z}`), doorIds: l.doors.map((d) => `d${d}`), scheduleId: null }]),
      ),
      grants,
      zones: new Map(),
      doors: new Map(doors.map((d) => [d.id, d])),
    } satisfies RegistrySnapshot;
  });

describe('personsCoveredByEachDoor (one pass) against the rule read door by door', () => {
  const { seed, factor } = fuzzSettings();

  it('gives every door, and every set of doors, the people the rule gives it', () => {
    fc.assert(
      fc.property(snapshotArb, fc.uniqueArray(fc.nat(6), { maxLength: 4 }), (snapshot, asked) => {
        const ids = asked.map((d) => `d${d}`); // d5 and d6 may not exist
        const each = personsCoveredByEachDoor(snapshot, ids, AT);
        expect([...each.keys()].sort()).toEqual([...new Set(ids)].sort());
        for (const id of ids) expect([...each.get(id)!].sort()).toEqual([...oracle(snapshot, [id], AT)].sort());
        expect([...personsCoveredByDoors(snapshot, ids, AT)].sort()).toEqual([...oracle(snapshot, ids, AT)].sort());
      }),
      { seed, numRuns: 500 * factor },
    );
  });

  it('a door in a zone a level covers and a door a level names are both served, once each', () => {
    const snapshot: RegistrySnapshot = {
      customers: new Map([['c', { id: 'c', serviceStart: 0, serviceEnd: null, purgedAt: null }]]),
      persons: new Map([['p', { id: 'p', customerId: 'c', status: 'active', validFrom: null, validUntil: null }]]),
      schedules: new Map(),
      accessLevels: new Map([['l', { id: 'l', zoneIds: ['z1'], doorIds: ['d2', 'd1'], scheduleId: null }]]),
      grants: [{ id: 'g', accessLevelId: 'l', customerId: 'c', personId: null, validFrom: null, validUntil: null }],
      zones: new Map(),
      doors: new Map([
        ['d1', { id: 'd1', siteId: 's', zoneId: 'z1' }],
        ['d2', { id: 'd2', siteId: 's', zoneId: 'z2' }],
        ['d3', { id: 'd3', siteId: 's', zoneId: 'z3' }],
      ]),
    };
    const each = personsCoveredByEachDoor(snapshot, ['d1', 'd2', 'd3', 'nowhere'], AT);
    expect(Object.fromEntries([...each].map(([d, s]) => [d, [...s]]))).toEqual({ d1: ['p'], d2: ['p'], d3: [], nowhere: [] });
  });
});
