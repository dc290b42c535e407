import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { type AccessAnswer, doorsForPerson, whoMayOpen } from '@acs/access-rules';
import { Clock } from '@acs/clock';
import { isoOrNull, NotFoundError } from '@acs/http';
import { DoorEntity, PersonEntity, ZoneEntity } from '../entities/index.js';
import type { AccessAnswerView, DoorAccessView, PersonAccessView, ReaderLoadView } from './access.dto.js';
import { CapacityGuard } from './capacity.guard.js';
import { RegistrySnapshotService } from './snapshot.js';

function answerView(a: AccessAnswer): AccessAnswerView {
  return {
    allowed: a.allowed,
    reason: a.reason,
    ...(a.grantId ? { grantId: a.grantId } : {}),
    ...(a.accessLevelId ? { accessLevelId: a.accessLevelId } : {}),
    ...(a.until !== undefined ? { until: isoOrNull(a.until)! } : {}),
  };
}

/** "Who may open door D now" and "which doors may person P open now", with the reason for each. */
@Injectable()
export class EffectiveAccessService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly snapshots: RegistrySnapshotService,
    private readonly clock: Clock,
    private readonly capacity: CapacityGuard,
  ) {}

  async doorsForPerson(customerId: string, personId: string, at?: number): Promise<DoorAccessView[]> {
    if (!(await this.ds.getRepository(PersonEntity).exists({ where: { id: personId, customerId } }))) throw new NotFoundError('Person', personId);
    const snapshot = await this.snapshots.current();
    const names = new Map((await this.ds.getRepository(DoorEntity).find({ select: { id: true, name: true } })).map((d) => [d.id, d.name]));
    return doorsForPerson(snapshot, personId, at ?? this.clock.nowMs()).map((a) => ({
      doorId: a.doorId,
      doorName: names.get(a.doorId) ?? '',
      ...answerView(a),
    }));
  }

  async whoMayOpen(doorId: string, at?: number): Promise<PersonAccessView[]> {
    const snapshot = await this.snapshots.current();
    if (!snapshot.doors.has(doorId)) throw new NotFoundError('Door', doorId);
    return whoMayOpen(snapshot, doorId, at ?? this.clock.nowMs()).map((a) => ({
      personId: a.personId,
      customerId: snapshot.persons.get(a.personId)?.customerId ?? '',
      ...answerView(a),
    }));
  }

  /** Zones a customer's grants open (through access levels' zones and single doors), for its own view. */
  async zonesOfCustomer(customerId: string): Promise<Array<{ id: string; name: string; kind: string; siteId: string }>> {
    const snapshot = await this.snapshots.current();
    const zoneIds = new Set<string>();
    for (const g of snapshot.grants) {
      if (g.customerId !== customerId) continue;
      const level = snapshot.accessLevels.get(g.accessLevelId);
      level?.zoneIds.forEach((z) => zoneIds.add(z));
      level?.doorIds.forEach((d) => {
        const door = snapshot.doors.get(d);
        if (door) zoneIds.add(door.zoneId);
      });
    }
    if (zoneIds.size === 0) return [];
    const zones = await this.ds.getRepository(ZoneEntity).find({ where: { id: In([...zoneIds]) }, order: { id: 'ASC' } });
    return zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind, siteId: z.siteId }));
  }

  readerLoads(): Promise<ReaderLoadView[]> {
    return this.capacity.loads(this.ds.manager);
  }
}
