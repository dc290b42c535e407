import type { DataSource } from 'typeorm';

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
 * Heads of every chain in one round trip each: the candidate chains come from the customer and
 * site tables and each head is a MAX over the (chain_id, seq) unique index, so the cost grows with
 * the number of customers, not with the number of events (no DISTINCT over the whole log).
 */
export async function readChainHeads(ds: DataSource): Promise<ChainHeads> {
  const audit = (await ds.query('SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1')) as Array<{ seq: number | string; hash: string }>;
  const rows = (await ds.query(
    `SELECT k.id AS chain_id, e.seq AS seq, e.hash AS hash
       FROM (SELECT id FROM customer UNION ALL SELECT 'site:' || id FROM site) k
       JOIN access_event e ON e.chain_id = k.id AND e.seq = (SELECT MAX(m.seq) FROM access_event m WHERE m.chain_id = k.id)`,
  )) as Array<{ chain_id: string; seq: number | string; hash: string }>;
  const history: Record<string, ChainHead> = {};
  for (const r of rows.sort((a, b) => a.chain_id.localeCompare(b.chain_id))) history[r.chain_id] = { seq: Number(r.seq), hash: r.hash };
  return { audit: audit[0] ? { seq: Number(audit[0].seq), hash: audit[0].hash } : null, history };
}

/** The stored hash at given positions of the chains (null where the row is gone). */
export async function hashesAt(ds: DataSource, positions: Array<{ chain: string; seq: number }>): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const pg = ds.options.type === 'postgres';
  for (const p of positions) {
    const rows = (
      p.chain === 'audit'
        ? await ds.query(`SELECT hash FROM audit_entry WHERE seq = ${pg ? '$1' : '?'}`, [p.seq])
        : await ds.query(`SELECT hash FROM access_event WHERE chain_id = ${pg ? '$1' : '?'} AND seq = ${pg ? '$2' : '?'}`, [p.chain, p.seq])
    ) as Array<{ hash: string }>;
    out.set(`${p.chain}#${p.seq}`, rows[0]?.hash ?? null);
  }
  return out;
}
