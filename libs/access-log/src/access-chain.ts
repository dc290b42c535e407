import { createHash } from 'node:crypto';
import type { AccessEvent } from './model.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Every stored field except the hash itself. */
export type ChainedAccessFields = Omit<AccessEvent, 'hash'>;

/**
 * SHA-256 over a versioned canonical form; changing one needs a new version. Version 1 is every
 * field before issue 17. Version 2 appends the credential: rows without one keep hashing as
 * version 1, so chains written before credentials existed verify unchanged, while a stored
 * credential (or its removal, or one added to a row without it) no longer matches the row's hash.
 * Version 3 adds the degraded flag, present only when true.
 * The version leads the array, so a row of one version can never hash as a row of another.
 */
export function accessEventHash(e: ChainedAccessFields): string {
  const v1Fields = [
    e.chainId,
    e.seq,
    e.id,
    e.customerId,
    e.personId,
    e.siteId,
    e.zoneId,
    e.doorId,
    e.readerId,
    e.direction,
    e.result,
    e.reason,
    e.kind,
    e.attemptId,
    e.occurredAt,
    e.recordedAt,
    e.prevHash,
  ];
  // `== null`: a field left undefined by a caller is "no credential", never a distinct value.
  // Version 3 (degraded mode): only a degraded row carries the flag, so every row written before
  // it (and every normal row after) hashes as version 1 or 2; clearing or setting the flag on a
  // stored row breaks its hash.
  const canonical = JSON.stringify(
    e.degraded === true ? [3, ...v1Fields, e.credential ?? null, true] : e.credential == null ? [1, ...v1Fields] : [2, ...v1Fields, e.credential],
  );
  return createHash('sha256').update(canonical).digest('hex');
}

export type AccessChainBreak =
  | { seq: number; id: string; reason: 'hash-mismatch' }
  | { seq: number; id: string; reason: 'prev-hash-mismatch' }
  | { seq: number; id: string; reason: 'chain-mismatch' }
  | { seq: number; id: string; reason: 'sequence-gap'; expectedSeq: number };

export interface AccessChainVerdict {
  chainId: string;
  ok: boolean;
  checked: number;
  headSeq: number | null;
  headHash: string;
  firstBreak?: AccessChainBreak;
}

/**
 * Walks one chain in ascending sequence and stops at the first broken link: an edited row
 * (hash mismatch), a deleted or reordered row (sequence gap, previous-hash mismatch), a row moved
 * to another customer (chain mismatch). Deleting the newest rows leaves a valid shorter chain:
 * compare `headSeq`/`headHash` with a head kept elsewhere to catch that.
 */
export class AccessChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private checked = 0;
  private headSeq: number | null = null;
  private firstBreak: AccessChainBreak | undefined;

  constructor(readonly chainId: string) {}

  push(e: AccessEvent): boolean {
    if (this.firstBreak) return false;
    if (e.seq !== this.expectedSeq) {
      this.firstBreak = { seq: e.seq, id: e.id, reason: 'sequence-gap', expectedSeq: this.expectedSeq };
    } else if (e.chainId !== this.chainId) {
      this.firstBreak = { seq: e.seq, id: e.id, reason: 'chain-mismatch' };
    } else if (e.prevHash !== this.prevHash) {
      this.firstBreak = { seq: e.seq, id: e.id, reason: 'prev-hash-mismatch' };
    } else if (accessEventHash(e) !== e.hash) {
      this.firstBreak = { seq: e.seq, id: e.id, reason: 'hash-mismatch' };
    }
    if (this.firstBreak) return false;
    this.checked++;
    this.expectedSeq = e.seq + 1;
    this.prevHash = e.hash;
    this.headSeq = e.seq;
    return true;
  }

  verdict(): AccessChainVerdict {
    return {
      chainId: this.chainId,
      ok: this.firstBreak === undefined,
      checked: this.checked,
      headSeq: this.headSeq,
      headHash: this.prevHash,
      ...(this.firstBreak ? { firstBreak: this.firstBreak } : {}),
    };
  }
}

/** Chains events onto a head: fills seq, prevHash and hash in place; returns the new head. */
export function chainOnto(head: { seq: number; hash: string }, events: ChainedAccessFields[]): { seq: number; hash: string; events: AccessEvent[] } {
  let { seq, hash } = head;
  const out: AccessEvent[] = [];
  for (const e of events) {
    seq += 1;
    const fields: ChainedAccessFields = { ...e, seq, prevHash: hash };
    hash = accessEventHash(fields);
    out.push({ ...fields, hash });
  }
  return { seq, hash, events: out };
}
