import type { DataSource } from 'typeorm';
import { ErasureCertificateEntity, ErasureJobEntity, type ErasureState } from '../entities.js';

export interface ErasureFigures {
  /** Jobs by state; every state is present (0 when none). */
  jobs: Record<ErasureState, number>;
  /** When the oldest job still waiting for offline readers was created (null when none waits). */
  oldestWaitingCreatedAt: number | null;
  certificates: number;
}

const STATES: readonly ErasureState[] = ['running', 'waiting_for_devices', 'held', 'done'];

/**
 * Counts for monitoring (the metrics scrape): erasure jobs by state, the oldest waiting one and
 * the certificates issued. Counts only: no customer, person or job id leaves this function.
 */
export async function erasureFigures(ds: DataSource): Promise<ErasureFigures> {
  const [byState, waiting, certificates] = await Promise.all([
    ds
      .getRepository(ErasureJobEntity)
      .createQueryBuilder('j')
      .select('j.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .groupBy('j.state')
      .getRawMany<{ state: ErasureState; n: number | string }>(),
    ds
      .getRepository(ErasureJobEntity)
      .createQueryBuilder('j')
      .select('MIN(j.createdAt)', 'oldest')
      .where('j.state = :state', { state: 'waiting_for_devices' })
      .getRawOne<{ oldest: number | string | null }>(),
    ds.getRepository(ErasureCertificateEntity).count(),
  ]);
  const jobs = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ErasureState, number>;
  for (const r of byState) if (r.state in jobs) jobs[r.state] = Number(r.n);
  const oldest = waiting?.oldest;
  return { jobs, oldestWaitingCreatedAt: oldest === null || oldest === undefined ? null : Number(oldest), certificates };
}
