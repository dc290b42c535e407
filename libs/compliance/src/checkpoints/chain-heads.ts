import type { DataSource } from 'typeorm';
import { historyChainHeads, historyHashesAt } from '@acs/access-log';
import { auditChainHead, auditHashAt } from '@acs/audit';
import { tenancyIds } from '@acs/registry';

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainHeads {
  audit: ChainHead | null;
  /** Access-history chains by chain id (customer id, or `site:<id>` for unknown fingers). */
  history: Record<string, ChainHead>;
}

/**
 * Heads of every chain, through the owners' operations (one indexed query each): the audit
 * chain's head from the audit lib, the candidate history chains from the registry's customers and
 * sites, and their heads from the access log. The cost grows with the number of customers, not
 * with the number of events.
 */
export async function readChainHeads(ds: DataSource): Promise<ChainHeads> {
  const m = ds.manager;
  const audit = await auditChainHead(m);
  const history = await historyChainHeads(m, await tenancyIds(m));
  return { audit, history };
}

/** The stored hash at given positions of the chains (null where the row is gone); history positions in one query. */
export async function hashesAt(ds: DataSource, positions: Array<{ chain: string; seq: number }>): Promise<Map<string, string | null>> {
  const history = positions.filter((p) => p.chain !== 'audit').map((p) => ({ chainId: p.chain, seq: p.seq }));
  const out = await historyHashesAt(ds.manager, history);
  for (const p of positions) if (p.chain === 'audit') out.set(`audit#${p.seq}`, await auditHashAt(ds.manager, p.seq));
  return out;
}
