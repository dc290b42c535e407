import type { ChainHead, ChainHeads } from './chain-heads.js';

/** What a signed checkpoint says: the heads of every chain at one moment. */
export interface CheckpointBody {
  version: 1;
  checkpoint: number;
  at: string;
  instance: string;
  reason: 'interval' | 'purge' | 'erasure' | 'startup' | 'rollback_accepted' | 'manual';
  /** SHA-256 of the previous line of this instance's log (the log is a chain too). */
  prev: string | null;
  heads: ChainHeads;
}

export type CheckpointFinding =
  /** The database chain ends before the checkpoint's head: newer entries are gone. */
  | { chain: string; problem: 'missing_tail'; checkpointSeq: number; databaseSeq: number | null }
  /** The row at the checkpoint's head differs: the database holds another history (an older or edited copy). */
  | { chain: string; problem: 'rewritten'; checkpointSeq: number; databaseSeq: number | null }
  /** Changed since the checkpoint by an erasure the database records (purge, person erasure, retention). */
  | { chain: string; problem: 'erased_since'; checkpointSeq: number; databaseSeq: number | null };

export interface CheckpointComparison {
  ok: boolean;
  checkpoint: { number: number; at: string; instance: string; reason: string } | null;
  /** True when the database misses entries the newest checkpoint saw: restored backup or lost writes. */
  databaseOlder: boolean;
  findings: CheckpointFinding[];
}

/**
 * Compares the database's chains with a checkpoint. `hashAt(chain, seq)` is the database's hash at
 * that position (null when absent); `erasedSince(chain)` says whether an erasure recorded in the
 * database after the checkpoint explains a changed chain. Chains only grow otherwise, so a head
 * behind the checkpoint's, or a different row at its position, is a loss.
 */
export function compareWithCheckpoint(
  db: ChainHeads,
  cp: CheckpointBody | null,
  hashAt: (chain: string, seq: number) => string | null,
  erasedSince: (chain: string) => boolean,
): CheckpointComparison {
  if (!cp) return { ok: true, checkpoint: null, databaseOlder: false, findings: [] };
  const findings: CheckpointFinding[] = [];
  const check = (chain: string, seen: ChainHead | null, now: ChainHead | null, erasable: boolean) => {
    if (!seen) return;
    const databaseSeq = now?.seq ?? null;
    const intact = databaseSeq !== null && databaseSeq >= seen.seq && hashAt(chain, seen.seq) === seen.hash;
    if (intact) return;
    if (erasable && erasedSince(chain)) findings.push({ chain, problem: 'erased_since', checkpointSeq: seen.seq, databaseSeq });
    else if (databaseSeq === null || databaseSeq < seen.seq) findings.push({ chain, problem: 'missing_tail', checkpointSeq: seen.seq, databaseSeq });
    else findings.push({ chain, problem: 'rewritten', checkpointSeq: seen.seq, databaseSeq });
  };
  check('audit', cp.heads.audit, db.audit, false);
  for (const [chain, seen] of Object.entries(cp.heads.history)) check(chain, seen, db.history[chain] ?? null, true);
  const lost = findings.filter((f) => f.problem !== 'erased_since');
  return {
    ok: lost.length === 0,
    checkpoint: { number: cp.checkpoint, at: cp.at, instance: cp.instance, reason: cp.reason },
    databaseOlder: lost.length > 0,
    findings,
  };
}

/** One line per finding, for logs and acsctl (ids and sequence numbers only). */
export function describeFinding(f: CheckpointFinding): string {
  const name = f.chain === 'audit' ? 'audit chain' : `history chain ${f.chain}`;
  const db = f.databaseSeq === null ? 'no entries' : `head ${f.databaseSeq}`;
  switch (f.problem) {
    case 'missing_tail':
      return `${name}: MISSING TAIL, the checkpoint saw seq ${f.checkpointSeq}, the database has ${db} (entries ${(f.databaseSeq ?? 0) + 1}-${f.checkpointSeq} gone)`;
    case 'rewritten':
      return `${name}: ROLLED BACK OR REWRITTEN, entry ${f.checkpointSeq} differs from the checkpoint (database ${db})`;
    default:
      return `${name}: erased since the checkpoint (seq ${f.checkpointSeq}, database ${db}), recorded by an erasure`;
  }
}
