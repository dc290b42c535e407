import type { DataSource, EntityManager } from 'typeorm';
import { DataKeyEntity } from './data-key.entity.js';

// Reads of crypto's own data_key table for code that has a DataSource but no KeyService (the
// erasure, acsctl's certificate checks): other libs call these, never DataKeyEntity. Plain
// functions, because acsctl runs them without a Nest container.

/** The id of the scope's data key, or null when it has none (never created, or destroyed). */
export async function dataKeyIdOf(m: EntityManager, scope: string): Promise<string | null> {
  const row = await m.getRepository(DataKeyEntity).findOne({ where: { scope }, select: { id: true } });
  return row?.id ?? null;
}

/** The tables that hold data keys: destroying a key rewrites them (PostgreSQL VACUUMs them after an erasure). */
export function dataKeyTables(ds: DataSource): string[] {
  return [ds.getMetadata(DataKeyEntity).tableName];
}
