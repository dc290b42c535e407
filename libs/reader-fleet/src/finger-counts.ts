import { Global, Injectable, Module } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EnrolledFingerCounts } from '@acs/registry';
import { FingerprintTemplateEntity } from './entities.js';

/** Enrolled fingers per person, for the registry's capacity check (inside its transaction). */
@Injectable()
export class TemplateFingerCounts extends EnrolledFingerCounts {
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

/** Global so the registry's CapacityGuard sees it without depending on this context. */
@Global()
@Module({
  providers: [TemplateFingerCounts, { provide: EnrolledFingerCounts, useExisting: TemplateFingerCounts }],
  exports: [EnrolledFingerCounts, TemplateFingerCounts],
})
export class FingerCountsModule {}
