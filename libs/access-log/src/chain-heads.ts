import type { EntityManager } from 'typeorm';
import { AccessEventEntity } from './access-event.entity.js';
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
  const candidates = m.connection.options.type === 'postgres' ? 'json_array_elements_text($1::json) AS k(value)' : 'json_each(?) AS k';
  const rows = (await m.query(
    `SELECT k.value AS chain_id, e.seq AS seq, e.hash AS hash
       FROM ${candidates}
       JOIN access_event e ON e.chain_id = k.value AND e.seq = (SELECT MAX(x.seq) FROM access_event x WHERE x.chain_id = k.value)`,
    [JSON.stringify(ids)],
  )) as Array<{ chain_id: string; seq: number | string; hash: string }>;
  for (const r of rows.sort((a, b) => a.chain_id.localeCompare(b.chain_id))) out[r.chain_id] = { seq: Number(r.seq), hash: r.hash };
  return out;
}

/** The stored hash at one position of a chain; null where the row is gone (one lookup on the unique index). */
export async function historyHashAt(m: EntityManager, chainId: string, seq: number): Promise<string | null> {
  const row = await m.getRepository(AccessEventEntity).findOne({ where: { chainId, seq }, select: { hash: true } });
  return row?.hash ?? null;
}
