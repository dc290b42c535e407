import { DomainError } from './domain-error.js';

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

/** Keyset cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<K extends Record<string, string | number>>(
  cursor: string,
  shape: { [P in keyof K]: 'string' | 'number' },
): K {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new DomainError('pagination.bad_cursor', 'cursor is not valid', 400);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new DomainError('pagination.bad_cursor', 'cursor is not valid', 400);
  for (const [k, t] of Object.entries(shape)) {
    if (typeof (parsed as Record<string, unknown>)[k] !== t) throw new DomainError('pagination.bad_cursor', 'cursor is not valid', 400);
  }
  return parsed as K;
}
