import type { EntityManager } from 'typeorm';
import { AuditEntryEntity } from './audit-entry.entity.js';

export interface AuditChainHead {
  seq: number;
  hash: string;
}

// Reads of the audit chain for the checkpoints that witness it (compliance): other libs call
// these, never AuditEntryEntity. Plain functions over an EntityManager, because acsctl runs them
// without a Nest container. Each is one lookup on the primary key (seq).

/** The newest entry's position and hash; null while the trail is empty. */
export async function auditChainHead(m: EntityManager): Promise<AuditChainHead | null> {
  const row = await m.getRepository(AuditEntryEntity).createQueryBuilder('a').select(['a.seq', 'a.hash']).orderBy('a.seq', 'DESC').limit(1).getOne();
  return row ? { seq: Number(row.seq), hash: row.hash } : null;
}

/** The stored hash at one position of the chain; null where the row is gone. */
export async function auditHashAt(m: EntityManager, seq: number): Promise<string | null> {
  const row = await m.getRepository(AuditEntryEntity).findOne({ where: { seq }, select: { hash: true } });
  return row?.hash ?? null;
}
