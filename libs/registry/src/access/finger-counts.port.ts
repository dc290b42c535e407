import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** How many fingers each person has enrolled, read inside the caller's transaction. */
export interface EnrolledFingerCounts {
  counts(m: EntityManager): Promise<Map<string, number>>;
}

/**
 * The registry's port for enrolled finger counts (capacity checks). The templates live in a lib
 * above the registry (`@acs/reader-fleet`), so the registry cannot import it; the composition root
 * (apps/server AppModule) connects the implementation. Unconnected (the CLI, a registry on its
 * own), every person counts as one reserved slot.
 */
@Injectable()
export class FingerCountsPort implements EnrolledFingerCounts {
  private source?: EnrolledFingerCounts;

  connect(source: EnrolledFingerCounts): void {
    this.source = source;
  }

  counts(m: EntityManager): Promise<Map<string, number>> {
    return this.source?.counts(m) ?? Promise.resolve(new Map<string, number>());
  }
}
