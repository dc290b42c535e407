import { DataSource, MoreThanOrEqual } from 'typeorm';
import type { EvidenceVerdict } from '@acs/crypto';
import { purgedCustomerIds } from '@acs/registry';
import { ErasureJobEntity } from '../entities.js';
import { hashesAt, readChainHeads } from './chain-heads.js';
import { compareWithCheckpoint, type CheckpointBody, type CheckpointComparison } from './checkpoint-compare.js';
import { newestCheckpoint } from './checkpoint-log.js';

export interface CheckpointVerification extends CheckpointComparison {
  /** The newest checkpoint's own signature (null when there is no checkpoint yet). */
  signature: 'valid' | Extract<EvidenceVerdict, { ok: false }>['reason'] | null;
  file: string | null;
}

/**
 * The database against the newest signed checkpoint in the folder: chains whose newest entries
 * are gone or whose entries differ are reported by name with sequence numbers. Used at start-up,
 * by the API and by acsctl (which has no server).
 */
export async function verifyAgainstCheckpoints(
  ds: DataSource,
  folder: string,
  verify: (jws: string) => Promise<EvidenceVerdict>,
): Promise<CheckpointVerification> {
  const newest = newestCheckpoint(folder);
  if (!newest)
    return {
      ...compareWithCheckpoint(
        { audit: null, history: {} },
        null,
        () => null,
        () => false,
      ),
      signature: null,
      file: null,
    };
  const verdict = await verify(newest.jws);
  // A checkpoint whose signature fails proves nothing: it is reported, and its heads not trusted.
  if (!verdict.ok) {
    return { ok: false, checkpoint: summary(newest.body), databaseOlder: false, findings: [], signature: verdict.reason, file: newest.file };
  }
  const cp = JSON.parse(verdict.payload) as CheckpointBody;
  const db = await readChainHeads(ds);
  const positions = [
    ...(cp.heads.audit ? [{ chain: 'audit', seq: cp.heads.audit.seq }] : []),
    ...Object.entries(cp.heads.history).map(([chain, h]) => ({ chain, seq: h.seq })),
  ].filter((p) => {
    const head = p.chain === 'audit' ? db.audit : db.history[p.chain];
    return head !== undefined && head !== null && head.seq >= p.seq;
  });
  const hashes = await hashesAt(ds, positions);
  const atMs = Date.parse(cp.at);
  const erased = new Set<string>([
    ...(await ds.getRepository(ErasureJobEntity).find({ where: { updatedAt: MoreThanOrEqual(atMs) }, select: { customerId: true } })).map((j) => j.customerId),
    ...(await purgedCustomerIds(ds.manager)),
  ]);
  const comparison = compareWithCheckpoint(
    db,
    cp,
    (chain, seq) => hashes.get(`${chain}#${seq}`) ?? null,
    (chain) => erased.has(chain),
  );
  return { ...comparison, signature: 'valid', file: newest.file };
}

function summary(b: CheckpointBody): CheckpointComparison['checkpoint'] {
  return { number: b.checkpoint, at: b.at, instance: b.instance, reason: b.reason };
}
