import type { DataSource } from 'typeorm';

export interface SentQuery {
  sql: string;
  params: unknown[];
}

/**
 * The queries a piece of work sends. TypeORM hands every query to the data source's logger
 * whether logging is on or not, so wrapping `logQuery` sees them all, raw or built.
 */
export async function queriesOf<T>(ds: DataSource, work: () => Promise<T>): Promise<{ result: T; queries: SentQuery[] }> {
  const queries: SentQuery[] = [];
  const logger = ds.logger;
  const original = logger.logQuery.bind(logger);
  logger.logQuery = (sql, params, runner) => {
    queries.push({ sql, params: Array.isArray(params) ? params : [] });
    return original(sql, params, runner);
  };
  try {
    return { result: await work(), queries };
  } finally {
    logger.logQuery = original;
  }
}

/**
 * The plan of a query, one line per step: EXPLAIN QUERY PLAN on SQLite; EXPLAIN on PostgreSQL
 * with sequential scans discouraged (enable_seqscan, in a transaction rolled back afterwards),
 * because on a spec's few rows the planner rightly prefers a scan: what the plan then shows is
 * whether an index can serve the query at all.
 * https://www.sqlite.org/eqp.html, https://www.postgresql.org/docs/current/runtime-config-query.html
 */
export async function planOf(ds: DataSource, q: SentQuery): Promise<string[]> {
  if (ds.options.type !== 'postgres') {
    const rows = (await ds.query(`EXPLAIN QUERY PLAN ${q.sql}`, q.params)) as Array<{ detail: string }>;
    return rows.map((r) => r.detail);
  }
  const runner = ds.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query('SET LOCAL enable_seqscan = off');
    const rows = (await runner.query(`EXPLAIN ${q.sql}`, q.params)) as Array<{ 'QUERY PLAN': string }>;
    return rows.map((r) => r['QUERY PLAN'].trim());
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
