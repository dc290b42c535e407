import type { DataSource, QueryRunner } from 'typeorm';
import { MIN_NEEDLE_BYTES, type FileScan } from './scan-paths.js';

/** Column types that can hold a value or a ciphertext (text, JSON, bytes). */
const SCANNED_TYPES = ['text', 'character varying', 'character', 'json', 'jsonb', 'bytea'];

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * PostgreSQL counterpart of the file scan: every text, JSON and bytea column of every table in
 * the current schema is searched for the values, in SQL. It sees what any session could read
 * (live rows), not the bytes of dead tuples or WAL segments on the server's disks: those are the
 * reason for VACUUM after the deletes and, above all, for crypto-shredding. One row per table:
 * `file` is `table:<name>`, `bytes` its size on disk, `hits` the (row, column, value) matches.
 */
export async function scanTables(ds: DataSource | QueryRunner, needles: readonly Buffer[]): Promise<FileScan[]> {
  const values = [...new Set(needles.filter((n) => n.length >= MIN_NEEDLE_BYTES).map((n) => n.toString('utf8')))];
  const columns = (await ds.query(
    `SELECT c.table_name AS "table", c.column_name AS "column", c.data_type AS "type"
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.data_type = ANY($1)
      ORDER BY c.table_name, c.ordinal_position`,
    [SCANNED_TYPES],
  )) as Array<{ table: string; column: string; type: string }>;
  const byTable = new Map<string, Array<{ column: string; type: string }>>();
  for (const c of columns) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  const results: FileScan[] = [];
  for (const [table, cols] of byTable) {
    const [{ bytes }] = (await ds.query(`SELECT pg_total_relation_size($1::regclass)::bigint AS bytes`, [ident(table)])) as Array<{ bytes: string }>;
    let hits = 0;
    if (values.length > 0) {
      // Per column: how many of the values each row contains; bytea is compared as UTF-8 bytes.
      const perColumn = cols.map(({ column, type }) =>
        type === 'bytea'
          ? `(SELECT count(*) FROM unnest($1::text[]) AS n(v) WHERE position(convert_to(n.v, 'UTF8') IN t.${ident(column)}) > 0)`
          : `(SELECT count(*) FROM unnest($1::text[]) AS n(v) WHERE strpos(t.${ident(column)}::text, n.v) > 0)`,
      );
      const [row] = (await ds.query(`SELECT coalesce(sum(${perColumn.join(' + ')}), 0)::bigint AS hits FROM ${ident(table)} t`, [values])) as Array<{
        hits: string;
      }>;
      hits = Number(row.hits);
    }
    results.push({ file: `table:${table}`, bytes: Number(bytes), hits });
  }
  return results;
}
