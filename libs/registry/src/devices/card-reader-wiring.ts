import type { EntityManager } from 'typeorm';
import { ConflictError, DomainError, NotFoundError } from '@acs/http';
import { CardReaderEntity, DoorEntity, OsdpBusEntity } from '../entities/index.js';

/**
 * The door's card readers exist, sit at the door's site, are door readers and serve no other
 * door; returns the instances whose buses they are on (a door lives on one instance).
 */
export async function cardReaderHosts(m: EntityManager, d: DoorEntity, siteId: string): Promise<string[]> {
  const hosts: string[] = [];
  if (d.entryCardReaderId && d.entryCardReaderId === d.exitCardReaderId) {
    throw new DomainError('door.same_reader', 'entry and exit card readers must differ');
  }
  for (const [field, readerId] of [
    ['entryCardReaderId', d.entryCardReaderId],
    ['exitCardReaderId', d.exitCardReaderId],
  ] as const) {
    if (!readerId) continue;
    const r = await m.findOne(CardReaderEntity, { where: { id: readerId } });
    if (!r) throw new NotFoundError('Card reader', readerId);
    if (r.siteId !== siteId) throw new DomainError('door.reader_other_site', `${field} is a reader of another site`);
    if (r.role !== 'door') throw new DomainError('door.reader_not_door_role', `${field} is an enrolment desk reader`);
    const other = await m.findOne(DoorEntity, { where: [{ entryCardReaderId: readerId }, { exitCardReaderId: readerId }] });
    if (other && other.id !== d.id) throw new ConflictError('door.reader_in_use', `${field} already serves another door`);
    const bus = await m.findOne(OsdpBusEntity, { where: { id: r.busId }, select: { id: true, host: true } });
    if (bus) hosts.push(bus.host);
  }
  return hosts;
}
