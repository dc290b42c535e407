import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as integer milliseconds since the epoch in a `bigint` column: exact,
 * sortable, free of driver time-zone handling, and the same bytes on SQLite and PostgreSQL
 * (whose driver returns bigint as a string, hence the transformer).
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null | undefined) => (value === null || value === undefined ? value : Number(value)),
};

/** An unsigned 32-bit or larger integer that must not overflow PostgreSQL's int4. */
export const bigintAsNumber: ValueTransformer = epochMs;
