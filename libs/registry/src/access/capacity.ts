import { personsCoveredByEachDoor, type Instant, type RegistrySnapshot } from '@acs/access-rules';
import type { DoorEntity, ReaderEntity } from '../entities/index.js';

/**
 * Until a person has enrolled fingers, one template slot is reserved for them, so a grant that
 * could never fit is refused before anyone stands at the enrolment desk.
 */
export const RESERVED_TEMPLATES_PER_PERSON = 1;

export interface ReaderLoad {
  readerId: string;
  readerName: string;
  capacity: number;
  /** Templates the reader must hold for everyone who may open its doors. */
  required: number;
  persons: number;
}

/** Templates each door reader must hold: people covered by its doors' grants × their fingers. */
export function readerLoads(
  snapshot: RegistrySnapshot,
  readers: readonly Pick<ReaderEntity, 'id' | 'name' | 'role' | 'capacity' | 'declaredCapacity'>[],
  doors: readonly Pick<DoorEntity, 'id' | 'entryReaderId' | 'exitReaderId'>[],
  at: Instant,
  enrolledFingers: (personId: string) => number = () => 0,
): ReaderLoad[] {
  const onReader = personsOnEachReader(snapshot, doors, at);
  return readers
    .filter((r) => r.role === 'door')
    .map((r) => {
      const persons = onReader.get(r.id) ?? new Set<string>();
      let required = 0;
      for (const p of persons) required += Math.max(enrolledFingers(p), RESERVED_TEMPLATES_PER_PERSON);
      return { readerId: r.id, readerName: r.name, capacity: r.capacity ?? r.declaredCapacity, required, persons: persons.size };
    });
}

/**
 * The people whose templates each reader must hold: the union over the doors it serves (entry or
 * exit) of who those doors' grants cover. Every door at once, for the capacity check and the
 * library planner alike: per reader it was readers × people × grants (npm run bench -- scale).
 */
export function personsOnEachReader(
  snapshot: RegistrySnapshot,
  doors: readonly Pick<DoorEntity, 'id' | 'entryReaderId' | 'exitReaderId'>[],
  at: Instant,
): Map<string, Set<string>> {
  const servedBy = new Map<string, string[]>();
  for (const d of doors)
    for (const readerId of new Set([d.entryReaderId, d.exitReaderId])) {
      if (!readerId) continue;
      const served = servedBy.get(readerId);
      if (served) served.push(d.id);
      else servedBy.set(readerId, [d.id]);
    }
  const byDoor = personsCoveredByEachDoor(snapshot, [...new Set([...servedBy.values()].flat())], at);
  const out = new Map<string, Set<string>>();
  for (const [readerId, served] of servedBy) {
    const persons = new Set<string>();
    for (const doorId of served) for (const p of byDoor.get(doorId) ?? []) persons.add(p);
    out.set(readerId, persons);
  }
  return out;
}
