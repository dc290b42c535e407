import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields a hash covers, in a fixed order. Adding a field needs a new chain version. */
export interface ChainedAuditFields {
  seq: number;
  id: string;
  at: number;
  actorType: string;
  actorId: string | null;
  role: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  requestId: string | null;
  details: string | null;
}

export function auditHash(row: ChainedAuditFields, prevHash: string): string {
  const canonical = JSON.stringify([
    1,
    row.seq,
    row.id,
    row.at,
    row.actorType,
    row.actorId,
    row.role,
    row.action,
    row.targetType,
    row.targetId,
    row.outcome,
    row.requestId,
    row.details,
    prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export type ChainBreak =
  { seq: number; reason: 'hash-mismatch' } | { seq: number; reason: 'prev-hash-mismatch' } | { seq: number; reason: 'sequence-gap'; expectedSeq: number };

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  headSeq: number | null;
  headHash: string;
  firstBreak?: ChainBreak;
}

/**
 * Walks rows in ascending sequence and reports the first broken link: an edited row
 * (hash mismatch), a deleted or reordered row (sequence gap or previous-hash mismatch).
 * Deleting the newest rows leaves a valid shorter chain; compare `headSeq`/`headHash` with an
 * exported head to catch that.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private checked = 0;
  private firstBreak: ChainBreak | undefined;
  private headSeq: number | null = null;

  push(row: ChainedAuditFields & { prevHash: string; hash: string }): boolean {
    if (this.firstBreak) return false;
    if (row.seq !== this.expectedSeq) {
      this.firstBreak = { seq: row.seq, reason: 'sequence-gap', expectedSeq: this.expectedSeq };
    } else if (row.prevHash !== this.prevHash) {
      this.firstBreak = { seq: row.seq, reason: 'prev-hash-mismatch' };
    } else if (auditHash(row, row.prevHash) !== row.hash) {
      this.firstBreak = { seq: row.seq, reason: 'hash-mismatch' };
    }
    if (this.firstBreak) return false;
    this.checked++;
    this.expectedSeq = row.seq + 1;
    this.prevHash = row.hash;
    this.headSeq = row.seq;
    return true;
  }

  verdict(): ChainVerdict {
    return {
      ok: this.firstBreak === undefined,
      checked: this.checked,
      headSeq: this.headSeq,
      headHash: this.prevHash,
      ...(this.firstBreak ? { firstBreak: this.firstBreak } : {}),
    };
  }
}
