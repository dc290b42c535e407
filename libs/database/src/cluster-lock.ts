import type { EntityManager } from 'typeorm';

/**
 * Serialises a read-modify-write across server instances for the rest of the transaction
 * (`max(seq) + 1` assignments, hash-chain appends, library planning). On PostgreSQL a
 * transaction-scoped advisory lock (docs: explicit-locking, "Advisory Locks"): released at
 * commit or rollback, invisible to everything else. On SQLite the database file has a single
 * writer already and the in-process WriteQueue orders this process's writers, so nothing to do.
 */
export async function clusterLock(m: EntityManager, name: string): Promise<void> {
  if (m.connection.options.type !== 'postgres') return;
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
}
