import type { EntityManager } from 'typeorm';
import { DsrCaseEntity } from './entities.js';

/**
 * A data-subject case answered by an erasure is closed in the transaction that issues the final
 * certificate: the request is answered exactly when the erasure is proven, and a crash cannot
 * leave one without the other. A case already closed by hand is left as it is. The outcome names
 * the certificate (ids only, no personal data).
 */
export async function closeCaseForErasure(m: EntityManager, caseId: string | null, certificateId: string, now: number): Promise<void> {
  if (!caseId) return;
  await m.update(
    DsrCaseEntity,
    { id: caseId, status: 'open' },
    { status: 'completed', outcome: `erasure certified: certificate ${certificateId}`, closedAt: now },
  );
}
