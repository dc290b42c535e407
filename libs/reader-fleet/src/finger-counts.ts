import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EnrolledFingerCounts } from '@acs/registry';
import { FingerprintTemplateEntity } from './entities.js';

/**
 * Enrolled fingers per person, for the registry's capacity check (inside its transaction). The
 * app module connects it to the registry's `FingerCountsPort`.
 */
@Injectable()
export class TemplateFingerCounts implements EnrolledFingerCounts {
  async counts(m: EntityManager): Promise<Map<string, number>> {
    const rows = await m
      .getRepository(FingerprintTemplateEntity)
      .createQueryBuilder('t')
      .select('t.person_id', 'personId')
      .addSelect('COUNT(*)', 'n')
      .groupBy('t.person_id')
      .getRawMany<{ personId: string; n: number | string }>();
    return new Map(rows.map((r) => [r.personId, Number(r.n)]));
  }
}
