import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataKeyIdOf } from '@acs/crypto';
import type { WriteQueue } from '@acs/database';
import { countTemplates, readersHolding } from '@acs/reader-fleet';
import { customerScope, findErasableCustomer } from '@acs/registry';
import { ErasureJobEntity } from '../entities.js';
import { recordHolders } from '../erasure/erasure-data.js';
import type { ErasureData } from '../erasure.service.js';
import { unfinishedJobs, type UndonePurge } from './undone-purges.js';

export interface ReapplyPlan {
  started: Array<{ jobId: string; kind: string; customerId: string; personId: string | null; reapplies: string[] }>;
  alreadyRunning: Array<{ jobId: string; kind: string; customerId: string; personId: string | null }>;
}

/**
 * Queues the erasure again for exactly the undone subjects, as jobs the server's erasure runner
 * resumes like any interrupted job (it owns the readers, so the reader step runs there). Used by
 * `acsctl purge:reapply`, which has no reader connections. Idempotent: a subject with an
 * unfinished erasure gets none, and once erased it is no longer undone.
 */
export async function queueReapply(ds: DataSource, writes: WriteQueue, undone: UndonePurge[], now: number, requestedBy: string): Promise<ReapplyPlan> {
  const plan: ReapplyPlan = { started: [], alreadyRunning: [] };
  const running = await unfinishedJobs(ds, [...new Set(undone.map((u) => u.customerId))]);
  for (const u of undone) {
    const busy = running.find((j) => j.kind === u.kind && j.customerId === u.customerId && (u.personId === null || j.personId === u.personId));
    if (busy) {
      plan.alreadyRunning.push({ jobId: busy.id, kind: busy.kind, customerId: busy.customerId, personId: busy.personId });
      continue;
    }
    const c = await findErasableCustomer(ds.manager, u.customerId);
    // An undone purge is found from the customer's rows, so the customer is there.
    if (!c) throw new Error(`customer ${u.customerId} of an undone purge is not in the database`);
    const keyId = await dataKeyIdOf(ds.manager, customerScope(c.id));
    const templateRows = await countTemplates(ds.manager, u.kind === 'customer' ? { customerId: c.id } : { personId: u.personId! });
    const reapplies = undone.filter((o) => o.kind === u.kind && o.customerId === u.customerId && o.personId === u.personId).map((o) => o.certificate);
    const data: ErasureData = {
      keyId,
      contractRef: c.contractRef,
      serviceEnd: c.serviceEnd,
      steps: {},
      counts: { templateRows },
      certificateIds: [],
      reapplies,
    };
    const job: ErasureJobEntity = {
      id: randomUUID(),
      kind: u.kind,
      customerId: c.id,
      personId: u.personId,
      state: 'running',
      step: 'readers',
      trigger: 'reapply',
      requestedBy,
      caseId: null,
      data: JSON.stringify(data),
      lastError: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await writes.transaction(async (m) => {
      recordHolders(data, await readersHolding(m, u.kind === 'customer' ? { customerId: c.id } : { personId: u.personId! }));
      job.data = JSON.stringify(data);
      return m.insert(ErasureJobEntity, job);
    });
    plan.started.push({ jobId: job.id, kind: job.kind, customerId: job.customerId, personId: job.personId, reapplies });
  }
  return plan;
}
