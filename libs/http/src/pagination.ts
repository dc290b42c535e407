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

// Longer than any sort key this API encodes (a UUID, a millisecond time, a sequence number).
const MAX_CURSOR_LENGTH = 512;

/**
 * Decodes a cursor a client sent back. Every number in a sort key is a safe integer (times in
 * milliseconds, sequence numbers): JSON such as `1e400` parses to Infinity and a fraction or a huge
 * value would reach SQL, so anything else is refused like a malformed cursor.
 */
export function decodeCursor<K extends Record<string, string | number>>(cursor: string, shape: { [P in keyof K]: 'string' | 'number' }): K {
  const bad = () => new DomainError('pagination.bad_cursor', 'cursor is not valid', 400);
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad();
  for (const [k, t] of Object.entries(shape)) {
    const v = (parsed as Record<string, unknown>)[k];
    if (typeof v !== t) throw bad();
    if (t === 'number' && !Number.isSafeInteger(v)) throw bad();
  }
  return parsed as K;
}
