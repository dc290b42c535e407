/**
 * Who may open which door at an instant, and why. Pure functions over a `RegistrySnapshot`;
 * the caller supplies the instant.
 *
 * Checks run in the order of `ACCESS_REASONS`; the first that fails is the answer. Past the
 * person and zone checks, several grants may cover the door; any one granting is enough. When
 * none grants, the most informative failure is reported, in this precedence:
 *   outside_schedule    a grant is valid now, only its schedule is closed (closest to access,
 *                       and it tells the person when to come back)
 *   grant_not_yet_valid a grant starts later (the soonest-starting one is named)
 *   grant_expired       only expired grants (the most recently ended one is named)
 *
 * `until` means: the instant at which the reason stops holding by the passage of time alone,
 * given this snapshot. For `granted` it is the earliest of the granting grant's end, its
 * schedule's next change, the person's validUntil and the customer's service end; when
 * several grants grant, the one granting longest is named. Reasons that only a registry
 * change can lift (suspended, lockdown, no grant, ...) carry no `until`.
 *
 * Dangling references fail closed: a person whose customer is missing is `unknown_person`; a
 * door whose zone is missing is `unknown_door`; a grant whose access level is missing covers
 * nothing; an access level whose schedule is missing is never within schedule.
 */
import type { AccessAnswer, AccessLevelFacts, CustomerFacts, DoorFacts, GrantFacts, Instant, PersonFacts, RegistrySnapshot } from './model.js';
import { isWithinSchedule, nextScheduleChange } from './schedule.js';
import type { ResolvedGrant, ScheduleState, SnapshotIndex } from './snapshot-index.js';

export type DoorAccessAnswer = { doorId: string } & AccessAnswer;
export type PersonAccessAnswer = { personId: string } & AccessAnswer;

/**
 * Schedule answers for one instant, shared across the persons or doors of one query: a
 * "who may open" over thousands of people typically touches a handful of schedules.
 */
class ScheduleCache {
  private readonly states = new Map<string, ScheduleState | null>();
  constructor(
    private readonly snapshot: RegistrySnapshot,
    private readonly at: Instant,
    private readonly index?: SnapshotIndex,
  ) {}

  get(scheduleId: string): ScheduleState | null {
    let state = this.states.get(scheduleId);
    if (state === undefined) {
      if (this.index) {
        state = this.index.scheduleState(scheduleId, this.at);
      } else {
        const schedule = this.snapshot.schedules.get(scheduleId);
        state = schedule ? { within: isWithinSchedule(schedule, this.at), next: nextScheduleChange(schedule, this.at) } : null;
      }
      this.states.set(scheduleId, state);
    }
    return state;
  }
}

function earliest(...instants: Array<Instant | null | undefined>): Instant | undefined {
  let result: Instant | undefined;
  for (const instant of instants) {
    if (instant !== null && instant !== undefined && (result === undefined || instant < result)) result = instant;
  }
  return result;
}

/** A grant's customer must be the person's customer, whatever its personId says. */
function grantAppliesTo(grant: GrantFacts, person: PersonFacts): boolean {
  return grant.customerId === person.customerId && (grant.personId === null || grant.personId === person.id);
}

function levelCoversDoor(level: AccessLevelFacts, door: DoorFacts): boolean {
  return level.doorIds.includes(door.id) || level.zoneIds.includes(door.zoneId);
}

function resolveGrants(snapshot: RegistrySnapshot, grants: readonly GrantFacts[]): ResolvedGrant[] {
  const resolved: ResolvedGrant[] = [];
  for (const grant of grants) {
    const level = snapshot.accessLevels.get(grant.accessLevelId);
    if (level) resolved.push({ grant, level });
  }
  return resolved;
}

function deny(reason: AccessAnswer['reason'], until?: Instant, grant?: GrantFacts): AccessAnswer {
  const answer: AccessAnswer = { allowed: false, reason };
  if (grant) {
    answer.grantId = grant.id;
    answer.accessLevelId = grant.accessLevelId;
  }
  if (until !== undefined) answer.until = until;
  return answer;
}

/** The checks that do not depend on grants, in `ACCESS_REASONS` order. */
function checkPersonAndDoor(snapshot: RegistrySnapshot, person: PersonFacts, customer: CustomerFacts, door: DoorFacts, at: Instant): AccessAnswer | undefined {
  // A purge is irreversible, so it denies regardless of the instant asked about.
  if (customer.purgedAt !== null) return deny('customer_purged');
  if (at < customer.serviceStart) return deny('customer_not_started', customer.serviceStart);
  if (customer.serviceEnd !== null && at >= customer.serviceEnd) return deny('customer_service_ended');
  if (person.status === 'suspended') return deny('person_suspended');
  if (person.status === 'restricted') return deny('person_restricted');
  if (person.validFrom !== null && at < person.validFrom) return deny('person_not_yet_valid', person.validFrom);
  if (person.validUntil !== null && at >= person.validUntil) return deny('person_expired');
  if (snapshot.zones.get(door.zoneId)?.lockdown) return deny('zone_lockdown');
  return undefined;
}

/** Longest-lasting first; undefined (no known end) lasts longest. */
function lastsLonger(a: Instant | undefined, b: Instant | undefined): boolean {
  if (a === undefined) return b !== undefined;
  return b !== undefined && a > b;
}

function decideByGrants(covering: readonly ResolvedGrant[], person: PersonFacts, customer: CustomerFacts, at: Instant, schedules: ScheduleCache): AccessAnswer {
  if (covering.length === 0) return deny('no_grant_for_door');
  // Time limits outside the grant that end any answer below.
  const outerEnd = earliest(person.validUntil, customer.serviceEnd);

  let granted: { grant: GrantFacts; until: Instant | undefined } | undefined;
  let outside: { grant: GrantFacts; until: Instant | undefined } | undefined;
  let future: GrantFacts | undefined;
  let expired: GrantFacts | undefined;

  for (const { grant, level } of covering) {
    if (grant.validFrom !== null && at < grant.validFrom) {
      if (!future || grant.validFrom < future.validFrom!) future = grant;
      continue;
    }
    if (grant.validUntil !== null && at >= grant.validUntil) {
      if (!expired || grant.validUntil > expired.validUntil!) expired = grant;
      continue;
    }
    const schedule = level.scheduleId === null ? { within: true, next: undefined } : schedules.get(level.scheduleId);
    const until = earliest(grant.validUntil, schedule?.next, outerEnd);
    if (schedule?.within) {
      if (!granted || lastsLonger(until, granted.until)) granted = { grant, until };
    } else if (!outside || (until !== undefined && (outside.until === undefined || until < outside.until))) {
      outside = { grant, until };
    }
  }

  if (granted) {
    const answer: AccessAnswer = {
      allowed: true,
      reason: 'granted',
      grantId: granted.grant.id,
      accessLevelId: granted.grant.accessLevelId,
    };
    if (granted.until !== undefined) answer.until = granted.until;
    return answer;
  }
  if (outside) return deny('outside_schedule', outside.until, outside.grant);
  if (future) return deny('grant_not_yet_valid', earliest(future.validFrom, outerEnd), future);
  return deny('grant_expired', undefined, expired);
}

function evaluateResolved(
  snapshot: RegistrySnapshot,
  person: PersonFacts | undefined,
  door: DoorFacts | undefined,
  at: Instant,
  applicable: readonly ResolvedGrant[],
  schedules: ScheduleCache,
): AccessAnswer {
  const customer = person ? snapshot.customers.get(person.customerId) : undefined;
  if (!person || !customer) return deny('unknown_person');
  if (!door || !snapshot.zones.has(door.zoneId)) return deny('unknown_door');
  const gate = checkPersonAndDoor(snapshot, person, customer, door, at);
  if (gate) return gate;
  const covering = applicable.filter((g) => levelCoversDoor(g.level, door));
  return decideByGrants(covering, person, customer, at, schedules);
}

/** Grants can only ever apply to persons of their own customer. */
function groupByCustomer(grants: readonly ResolvedGrant[]): Map<string, ResolvedGrant[]> {
  const groups = new Map<string, ResolvedGrant[]>();
  for (const g of grants) {
    const group = groups.get(g.grant.customerId);
    if (group) group.push(g);
    else groups.set(g.grant.customerId, [g]);
  }
  return groups;
}

function applicableGrants(snapshot: RegistrySnapshot, person: PersonFacts | undefined, index?: SnapshotIndex): ResolvedGrant[] {
  if (!person) return [];
  if (index) return index.grantsFor(person);
  return resolveGrants(
    snapshot,
    snapshot.grants.filter((g) => grantAppliesTo(g, person)),
  );
}

/**
 * May `personId` open `doorId` at `at`, and why (not). `index`, built from this very snapshot,
 * only makes it faster: the answer is the same with or without it.
 */
export function evaluateAccess(snapshot: RegistrySnapshot, personId: string, doorId: string, at: Instant, index?: SnapshotIndex): AccessAnswer {
  // An index of an older snapshot would silently answer from stale grants.
  if (index && index.snapshot !== snapshot) throw new Error('evaluateAccess: the index belongs to another snapshot');
  const person = snapshot.persons.get(personId);
  return evaluateResolved(snapshot, person, snapshot.doors.get(doorId), at, applicableGrants(snapshot, person, index), new ScheduleCache(snapshot, at, index));
}

/** The answer for every door in the snapshot (snapshot order), allowed or not. */
export function doorsForPerson(snapshot: RegistrySnapshot, personId: string, at: Instant): DoorAccessAnswer[] {
  const person = snapshot.persons.get(personId);
  const applicable = applicableGrants(snapshot, person);
  const schedules = new ScheduleCache(snapshot, at);
  return [...snapshot.doors.values()].map((door) => ({
    doorId: door.id,
    ...evaluateResolved(snapshot, person, door, at, applicable, schedules),
  }));
}

/**
 * Every person (snapshot order) holding at least one grant that covers the door, whatever its
 * validity or schedule, with the answer at `at`. Empty for an unknown door.
 */
export function whoMayOpen(snapshot: RegistrySnapshot, doorId: string, at: Instant): PersonAccessAnswer[] {
  const door = snapshot.doors.get(doorId);
  if (!door) return [];
  const byCustomer = groupByCustomer(resolveGrants(snapshot, snapshot.grants).filter((g) => levelCoversDoor(g.level, door)));
  const schedules = new ScheduleCache(snapshot, at);
  const result: PersonAccessAnswer[] = [];
  for (const person of snapshot.persons.values()) {
    const mine = (byCustomer.get(person.customerId) ?? []).filter((g) => grantAppliesTo(g.grant, person));
    if (mine.length === 0) continue;
    result.push({ personId: person.id, ...evaluateResolved(snapshot, person, door, at, mine, schedules) });
  }
  return result;
}

/**
 * Persons whose templates must be on a reader serving `doorIds`: holders of a grant covering
 * any of the doors that is usable now or later. Schedules and lockdown are ignored (they come
 * and go faster than templates can be loaded). Excluded: suspended and restricted persons,
 * purged customers, and grants whose usable period — the overlap of the grant's, the person's
 * and the customer's service validity — has already ended or is empty. Unknown door ids are
 * ignored.
 */
export function personsCoveredByDoors(snapshot: RegistrySnapshot, doorIds: readonly string[], at: Instant): Set<string> {
  const result = new Set<string>();
  for (const persons of personsCoveredByEachDoor(snapshot, doorIds, at).values()) for (const p of persons) result.add(p);
  return result;
}

/**
 * {@link personsCoveredByDoors} for each of `doorIds` separately, in one pass over the grants:
 * the capacity check and the library planner ask it for every door reader at once, and asking
 * per reader cost readers × people × grants (seconds per grant at 20,000 people and 500 readers,
 * `npm run bench -- scale`). Every door id asked about is a key; unknown doors cover nobody.
 */
export function personsCoveredByEachDoor(snapshot: RegistrySnapshot, doorIds: readonly string[], at: Instant): Map<string, Set<string>> {
  const result = new Map(doorIds.map((id) => [id, new Set<string>()]));
  const byId = new Map<string, DoorFacts>();
  const byZone = new Map<string, string[]>();
  for (const id of result.keys()) {
    const door = snapshot.doors.get(id);
    if (!door) continue;
    byId.set(id, door);
    const inZone = byZone.get(door.zoneId);
    if (inZone) inZone.push(id);
    else byZone.set(door.zoneId, [id]);
  }
  if (byId.size === 0) return result;
  // The asked-about doors an access level covers, once per level.
  const levelDoors = new Map<string, string[]>();
  const doorsOf = (level: AccessLevelFacts): string[] => {
    let ids = levelDoors.get(level.id);
    if (!ids) {
      const set = new Set<string>();
      for (const z of level.zoneIds) for (const d of byZone.get(z) ?? []) set.add(d);
      for (const d of level.doorIds) if (byId.has(d)) set.add(d);
      ids = [...set];
      levelDoors.set(level.id, ids);
    }
    return ids;
  };
  // Active people of customers not purged: the only ones a grant can put on a reader.
  const eligible = new Map<string, PersonFacts[]>();
  for (const person of snapshot.persons.values()) {
    if (person.status !== 'active') continue;
    const customer = snapshot.customers.get(person.customerId);
    if (!customer || customer.purgedAt !== null) continue;
    const group = eligible.get(person.customerId);
    if (group) group.push(person);
    else eligible.set(person.customerId, [person]);
  }
  for (const { grant, level } of resolveGrants(snapshot, snapshot.grants)) {
    const targets = doorsOf(level);
    if (targets.length === 0) continue;
    // A customer with eligible people exists and is not purged.
    const people = eligible.get(grant.customerId);
    const customer = snapshot.customers.get(grant.customerId);
    if (!people || !customer) continue;
    const candidates = grant.personId === null ? people : [snapshot.persons.get(grant.personId)];
    for (const person of candidates) {
      // A grant naming another customer's person covers nobody (grantAppliesTo).
      if (!person || person.status !== 'active' || !grantAppliesTo(grant, person)) continue;
      const from = Math.max(customer.serviceStart, person.validFrom ?? -Infinity, grant.validFrom ?? -Infinity);
      const until = earliest(customer.serviceEnd, person.validUntil, grant.validUntil) ?? Infinity;
      if (until > at && until > from) for (const d of targets) result.get(d)!.add(person.id);
    }
  }
  return result;
}
