import { personsCoveredByDoors, type Instant, type RegistrySnapshot } from '@acs/access-rules';
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
  return readers
    .filter((r) => r.role === 'door')
    .map((r) => {
      const served = doors.filter((d) => d.entryReaderId === r.id || d.exitReaderId === r.id).map((d) => d.id);
      const persons = served.length === 0 ? new Set<string>() : personsCoveredByDoors(snapshot, served, at);
      let required = 0;
      for (const p of persons) required += Math.max(enrolledFingers(p), RESERVED_TEMPLATES_PER_PERSON);
      return { readerId: r.id, readerName: r.name, capacity: r.capacity ?? r.declaredCapacity, required, persons: persons.size };
    });
}
