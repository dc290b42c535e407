import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { DoorEntity, ReaderEntity, type ReaderModel, type ReaderRole } from '../entities/index.js';

/** What the reader fleet needs to open a reader and plan its library; no registry entity leaves the lib. */
export interface FleetReader {
  readonly id: string;
  readonly name: string;
  readonly model: ReaderModel;
  /** Serial path or `tcp://` URL of the module. */
  readonly transport: string;
  /** Instance (INSTANCE_ID) the module is wired to; its preferred instance when it has a failover group. */
  readonly host: string;
  /** Failover group (`tcp://` readers only); null: it stays with its host. */
  readonly failoverGroup: string | null;
  readonly address: number;
  /** Ciphertext only: the fleet compares it to notice a password change, and decrypts through DeviceService. */
  readonly passwordCt: string;
  readonly role: ReaderRole;
  /** Reported by the module itself; null until it has been online. */
  readonly capacity: number | null;
  readonly declaredCapacity: number;
}

/** Which readers a door is badged through: enough to know which doors a reader serves. */
export interface DoorReaders {
  readonly id: string;
  readonly entryReaderId: string | null;
  readonly exitReaderId: string | null;
}

/**
 * Read operations on readers and doors for the reader fleet. Each read takes an optional
 * EntityManager because the fleet plans inside its own transaction (under its cluster lock) and
 * must see the registry as of that transaction, not through a second connection.
 *
 * The rows are handed over as they are loaded, typed down to the fields above: the planner reads
 * every reader and door on each registry change, and a copy per row would only cost.
 */
@Injectable()
export class ReaderDirectory {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Every reader, door and enrolment desk alike, in no particular order. */
  readers(m: EntityManager = this.ds.manager): Promise<FleetReader[]> {
    return m.find(ReaderEntity);
  }

  /** Every reader by name, as staff views list them. */
  readersByName(m: EntityManager = this.ds.manager): Promise<FleetReader[]> {
    return m.find(ReaderEntity, { order: { name: 'ASC' } });
  }

  /** The readers wired to one instance: only that instance opens them. */
  readersOnHost(host: string, m: EntityManager = this.ds.manager): Promise<FleetReader[]> {
    return m.find(ReaderEntity, { where: { host } });
  }

  /**
   * The readers an instance may open: those wired to it and those of the failover groups it
   * serves (which of the latter it opens depends on the leases it holds).
   */
  readersFor(host: string, groups: readonly string[], m: EntityManager = this.ds.manager): Promise<FleetReader[]> {
    return m.find(ReaderEntity, { where: [{ host }, ...(groups.length > 0 ? [{ failoverGroup: In([...groups]) }] : [])] });
  }

  reader(id: string, m: EntityManager = this.ds.manager): Promise<FleetReader | null> {
    return m.findOne(ReaderEntity, { where: { id } });
  }

  /** Every door with its entry and exit reader. */
  doorReaders(m: EntityManager = this.ds.manager): Promise<DoorReaders[]> {
    return m.find(DoorEntity, { select: { id: true, entryReaderId: true, exitReaderId: true } });
  }
}
