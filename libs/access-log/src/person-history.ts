import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessEventEntity } from './access-event.entity.js';
import type { AccessEvent } from './model.js';

/**
 * One person's access history, oldest first, for a data-subject request (GDPR Art. 15/20): the
 * access log owns `access_event`; compliance asks here instead of reading the entity.
 */
@Injectable()
export class PersonHistory {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async eventsOf(
    personId: string,
  ): Promise<Array<Pick<AccessEvent, 'occurredAt' | 'siteId' | 'zoneId' | 'doorId' | 'readerId' | 'direction' | 'result' | 'reason' | 'kind' | 'credential'>>> {
    const rows = await this.ds.getRepository(AccessEventEntity).find({ where: { personId }, order: { occurredAt: 'ASC' } });
    return rows.map((e) => ({
      occurredAt: e.occurredAt,
      siteId: e.siteId,
      zoneId: e.zoneId,
      doorId: e.doorId,
      readerId: e.readerId,
      direction: e.direction,
      result: e.result,
      reason: e.reason,
      kind: e.kind,
      credential: e.credential,
    }));
  }
}
