import type { EntityManager } from 'typeorm';

/**
 * Several reads through `m`, at once when they may be, one after another when they must be.
 *
 * A manager bound to one connection (a transaction's: `m.queryRunner` is set) must not be handed
 * a query while it is still answering another: node-postgres queues it (so nothing runs in
 * parallel anyway) and, since pg 8.19, warns "Calling client.query() when the client is already
 * executing a query is deprecated and will be removed in pg@9.0" (brianc/node-postgres pull
 * request 3603). `Promise.all` over such a manager did exactly that inside the capacity check of
 * every registry change. The data source's own manager takes a pooled connection per query, so
 * there the reads go in parallel. On SQLite there is one connection and better-sqlite3 answers
 * synchronously: the order is all that changes.
 */
export async function readAll<T extends readonly unknown[]>(m: EntityManager, reads: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (!m.queryRunner) return (await Promise.all(reads.map((read) => read()))) as unknown as T;
  const out: unknown[] = [];
  for (const read of reads) out.push(await read());
  return out as unknown as T;
}
