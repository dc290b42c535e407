import type { DataSource } from 'typeorm';
import { historyChainHeads, historyHashAt } from '@acs/access-log';
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

/** The stored hash at given positions of the chains (null where the row is gone). */
export async function hashesAt(ds: DataSource, positions: Array<{ chain: string; seq: number }>): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const p of positions)
    out.set(`${p.chain}#${p.seq}`, p.chain === 'audit' ? await auditHashAt(ds.manager, p.seq) : await historyHashAt(ds.manager, p.chain, p.seq));
  return out;
}
