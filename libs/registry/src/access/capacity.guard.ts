import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RegistrySnapshot } from '@acs/access-rules';
import { Clock } from '@acs/clock';
import { readAll } from '@acs/database';
import { ConflictError } from '@acs/http';
import { DoorEntity, ReaderEntity } from '../entities/index.js';
import { readerLoads, type ReaderLoad } from './capacity.js';
import { FingerCountsPort } from './finger-counts.port.js';
import { loadSnapshot } from './snapshot.js';

/**
 * Run at the end of a registry transaction that can change what door readers must hold; throws
 * (rolling the change back) when any reader would need more templates than its library holds.
 */
@Injectable()
export class CapacityGuard {
  constructor(
    private readonly clock: Clock,
    private readonly fingers: FingerCountsPort,
  ) {}

  async loads(m: EntityManager): Promise<ReaderLoad[]> {
    // `m` is the change's transaction: one connection, so the reads go one after another (readAll).
    const [snapshot, readers, doors, counts] = await readAll<[RegistrySnapshot, ReaderEntity[], DoorEntity[], Map<string, number>]>(m, [
      () => loadSnapshot(m),
      () => m.find(ReaderEntity),
      () => m.find(DoorEntity),
      () => this.fingers.counts(m),
    ]);
    return readerLoads(snapshot, readers, doors, this.clock.nowMs(), (p) => counts.get(p) ?? 0);
  }

  async assertFits(m: EntityManager): Promise<void> {
    const over = (await this.loads(m)).find((l) => l.required > l.capacity);
    if (over) {
      throw new ConflictError(
        'reader.capacity_exceeded',
        `reader "${over.readerName}" holds ${over.capacity} templates; this change would need ${over.required}`,
        { readerId: over.readerId, capacity: over.capacity, required: over.required },
      );
    }
  }
}
