import type { ErasureJobEntity } from '../entities.js';
import { iso, type ErasureData } from './erasure-data.js';

/**
 * The certificate's JSON body, from the job row and its data: ids, counts, hashes and times only
 * (the data never holds a name, a contact value or a template). Pure, so the same job data always
 * yields the same body.
 */
export function certificateBody(
  id: string,
  job: Pick<ErasureJobEntity, 'id' | 'kind' | 'customerId' | 'personId' | 'trigger' | 'requestedBy' | 'caseId' | 'createdAt'>,
  data: ErasureData,
  now: number,
  complete: boolean,
): Record<string, unknown> {
  const steps = Object.fromEntries(
    Object.entries(data.steps).map(([k, v]) => [k, { startedAt: iso(v.startedAt), finishedAt: v.finishedAt ? iso(v.finishedAt) : null }]),
  );
  return {
    certificate: id,
    version: 1,
    kind: job.kind,
    customerId: job.customerId,
    contractRef: data.contractRef,
    personId: job.personId,
    jobId: job.id,
    trigger: job.trigger,
    ranBy: job.requestedBy,
    caseId: job.caseId,
    serviceEnd: data.serviceEnd === null ? null : iso(data.serviceEnd),
    startedAt: iso(job.createdAt),
    issuedAt: iso(now),
    complete,
    steps,
    counts: data.counts,
    readers: Object.values(data.readers?.confirmations ?? {}).map((r) => ({
      readerId: r.readerId,
      confirmedAt: r.confirmedAt ? iso(r.confirmedAt) : null,
      verifiedWith: 'ReadIndexTable',
    })),
    history: data.history
      ? {
          ...data.history,
          keepUntil: data.history.keepUntil ? iso(data.history.keepUntil) : null,
          expiredAt: data.history.expiredAt ? iso(data.history.expiredAt) : null,
        }
      : null,
    dataKey: data.key ?? null,
    physical: data.physical ?? null,
    deferred:
      data.deferred && data.deferred.parts.length > 0
        ? { ...data.deferred, note: 'held under legal hold; erased after release, with a new certificate' }
        : null,
    previousCertificates: data.certificateIds.filter((c) => c !== id),
    ...(data.reapplies ? { reapplies: data.reapplies } : {}),
  };
}
