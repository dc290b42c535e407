import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThanOrEqual, Not } from 'typeorm';
import { AccessEventEntity } from './access-event.entity.js';
import type { AccessDirection } from './model.js';

export interface GrantedPassage {
  personId: string;
  zoneId: string;
  direction: AccessDirection;
  occurredAt: number;
}

/** Read operation for badge-in's anti-passback presence, so it never reads the access-log table itself. */
@Injectable()
export class PassageHistory {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Granted attempts of a known person into a known zone since `sinceMs`, oldest first. */
  async grantedSince(sinceMs: number): Promise<GrantedPassage[]> {
    const rows = await this.ds.getRepository(AccessEventEntity).find({
      select: { personId: true, zoneId: true, direction: true, occurredAt: true },
      where: { kind: 'attempt', result: 'granted', occurredAt: MoreThanOrEqual(sinceMs), personId: Not(IsNull()), zoneId: Not(IsNull()) },
      order: { occurredAt: 'ASC', id: 'ASC' },
    });
    return rows.map((r) => ({ personId: r.personId!, zoneId: r.zoneId!, direction: r.direction, occurredAt: r.occurredAt }));
  }
}
