import type { EntityManager } from 'typeorm';
import { chainIdFor } from './model.js';
import type { ChainHead } from './history-erasure.js';

/** Whose chains to read: the access log keys its chains by customer, and by site for attempts without one. */
export interface ChainOwners {
  readonly customerIds: readonly string[];
  readonly siteIds: readonly string[];
}

/**
 * The newest entry of each named owner's chain, in chain-id order (`localeCompare`, the order a
 * signed checkpoint lists them in); chains without events are left out. Other libs (compliance's
 * checkpoints) call this, never AccessEventEntity. A plain function over an EntityManager, because
 * acsctl runs it without a Nest container.
 *
 * One query, whatever the number of chains: the candidate ids go in as one JSON array (no limit
 * on bound parameters) and each head is a MAX over the (chain_id, seq) unique index, so the cost
 * grows with the number of owners, not with the number of events (no DISTINCT over the whole log).
 */
export async function historyChainHeads(m: EntityManager, owners: ChainOwners): Promise<Record<string, ChainHead>> {
  const ids = [...owners.customerIds, ...owners.siteIds.map((siteId) => chainIdFor({ customerId: null, siteId }))];
  const out: Record<string, ChainHead> = {};
  if (ids.length === 0) return out;
  // PostgreSQL gets a LATERAL probe: with the correlated MAX in the join condition its planner may
  // hash-join against every row of access_event. SQLite has no LATERAL; its nested loop already
  // runs from the candidates into the index.
  const sql =
    m.connection.options.type === 'postgres'
      ? `SELECT k.value AS chain_id, h.seq AS seq, h.hash AS hash
           FROM json_array_elements_text($1::json) AS k(value)
           CROSS JOIN LATERAL (SELECT e.seq, e.hash FROM access_event e WHERE e.chain_id = k.value ORDER BY e.seq DESC LIMIT 1) h`
      : `SELECT k.value AS chain_id, e.seq AS seq, e.hash AS hash
           FROM json_each(?) AS k
           JOIN access_event e ON e.chain_id = k.value AND e.seq = (SELECT MAX(x.seq) FROM access_event x WHERE x.chain_id = k.value)`;
  const rows = (await m.query(sql, [JSON.stringify(ids)])) as Array<{ chain_id: string; seq: number | string; hash: string }>;
  for (const r of rows.sort((a, b) => a.chain_id.localeCompare(b.chain_id))) out[r.chain_id] = { seq: Number(r.seq), hash: r.hash };
  return out;
}

/**
 * The stored hashes at given positions of the chains, keyed `chainId#seq` (null where the row is
 * gone). One query for all positions, each a probe of the (chain_id, seq) unique index: the
 * start-up verification of a checkpoint asks for one position per chain, and a query per position
 * cost a round trip through TypeORM each (about 30 ms at 100 customers).
 */
export async function historyHashesAt(m: EntityManager, positions: ReadonlyArray<{ chainId: string; seq: number }>): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>(positions.map((p) => [`${p.chainId}#${p.seq}`, null]));
  if (positions.length === 0) return out;
  const pairs = JSON.stringify(positions.map((p) => [p.chainId, p.seq]));
  // LATERAL on PostgreSQL for the reason given in historyChainHeads: one index probe per position
  // (LIMIT 1, harmless on a unique key, keeps the planner from flattening it into a join).
  const sql =
    m.connection.options.type === 'postgres'
      ? `SELECT h.chain_id AS chain_id, h.seq AS seq, h.hash AS hash
           FROM json_array_elements($1::json) AS k(v)
           CROSS JOIN LATERAL (SELECT e.chain_id, e.seq, e.hash FROM access_event e WHERE e.chain_id = k.v->>0 AND e.seq = (k.v->>1)::bigint LIMIT 1) h`
      : `SELECT e.chain_id AS chain_id, e.seq AS seq, e.hash AS hash
           FROM json_each(?) AS k
           JOIN access_event e ON e.chain_id = json_extract(k.value, '$[0]') AND e.seq = json_extract(k.value, '$[1]')`;
  const rows = (await m.query(sql, [pairs])) as Array<{ chain_id: string; seq: number | string; hash: string }>;
  for (const r of rows) out.set(`${r.chain_id}#${Number(r.seq)}`, r.hash);
  return out;
}
