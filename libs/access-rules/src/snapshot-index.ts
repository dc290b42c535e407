/**
 * Lookups precomputed once per snapshot, for the badge-in hot path: `evaluateAccess` otherwise
 * filters every grant of the registry on each call, recomputes each schedule's next change, and
 * an interlock check would scan every door. Build it when the snapshot is (re)built and pass
 * both together; the index never changes an answer, only how fast it is found. It memoises
 * schedule answers as it is used (one entry per schedule), so it is cheap to build and is
 * dropped with its snapshot.
 */
import type { AccessLevelFacts, GrantFacts, Instant, PersonFacts, RegistrySnapshot } from './model.js';
import { isWithinSchedule, nextScheduleChange } from './schedule.js';

/** A grant with its access level resolved; grants whose level is missing cover nothing. */
export interface ResolvedGrant {
  grant: GrantFacts;
  level: AccessLevelFacts;
}

/** A schedule's answer at an instant, and when it next flips (undefined: not within the look-ahead). */
export interface ScheduleState {
  within: boolean;
  next: Instant | undefined;
}

interface ScheduleMemo {
  from: Instant;
  within: boolean;
  next: Instant;
}

export class SnapshotIndex {
  /** Per customer, in snapshot order: ties between grants are broken by that order. */
  private readonly grantsByCustomer = new Map<string, ResolvedGrant[]>();
  private readonly doorsByInterlockGroup = new Map<string, string[]>();
  /**
   * Last computed answer per schedule. `next` is the first instant after `from` at which the
   * answer flips, so for any instant in [from, next) the answer is the same and the next flip is
   * the same `next`: computing it (luxon offsets over a week's look-ahead) is most of the cost
   * of a decision, and consecutive badge-ins fall in the same span almost always. Not kept when
   * no flip was found, since a later instant's look-ahead reaches further.
   */
  private readonly scheduleMemo = new Map<string, ScheduleMemo>();

  constructor(readonly snapshot: RegistrySnapshot) {
    for (const grant of snapshot.grants) {
      const level = snapshot.accessLevels.get(grant.accessLevelId);
      if (!level) continue;
      const list = this.grantsByCustomer.get(grant.customerId);
      if (list) list.push({ grant, level });
      else this.grantsByCustomer.set(grant.customerId, [{ grant, level }]);
    }
    for (const door of snapshot.doors.values()) {
      const group = snapshot.zones.get(door.zoneId)?.interlockGroup;
      if (group === null || group === undefined) continue;
      const list = this.doorsByInterlockGroup.get(group);
      if (list) list.push(door.id);
      else this.doorsByInterlockGroup.set(group, [door.id]);
    }
  }

  /** The grants that apply to the person (their customer's, for everyone or for them), snapshot order. */
  grantsFor(person: PersonFacts): ResolvedGrant[] {
    const all = this.grantsByCustomer.get(person.customerId);
    if (!all) return [];
    return all.filter((g) => g.grant.personId === null || g.grant.personId === person.id);
  }

  /** Same as `isWithinSchedule` and `nextScheduleChange` at `at`; null for an unknown schedule. */
  scheduleState(scheduleId: string, at: Instant): ScheduleState | null {
    const memo = this.scheduleMemo.get(scheduleId);
    if (memo && memo.from <= at && at < memo.next) return { within: memo.within, next: memo.next };
    const schedule = this.snapshot.schedules.get(scheduleId);
    if (!schedule) return null;
    const within = isWithinSchedule(schedule, at);
    const next = nextScheduleChange(schedule, at);
    if (next !== undefined) this.scheduleMemo.set(scheduleId, { from: at, within, next });
    return { within, next };
  }

  /** Doors whose zone belongs to the interlock group, snapshot order. */
  interlockDoors(group: string): readonly string[] {
    return this.doorsByInterlockGroup.get(group) ?? [];
  }
}

export function indexSnapshot(snapshot: RegistrySnapshot): SnapshotIndex {
  return new SnapshotIndex(snapshot);
}

/** Same answer as `SnapshotIndex.interlockDoors`, by scanning, for callers without an index. */
export function scanInterlockDoors(snapshot: RegistrySnapshot, group: string): string[] {
  const doors: string[] = [];
  for (const door of snapshot.doors.values()) {
    if (snapshot.zones.get(door.zoneId)?.interlockGroup === group) doors.push(door.id);
  }
  return doors;
}
