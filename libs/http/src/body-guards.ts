import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError } from './domain-error.js';
import { requestIdFrom } from './request-id.js';

type Next = (err?: unknown) => void;

/**
 * Deepest array/object nesting a request body may have. The API's deepest DTO (a schedule's
 * windows) is three levels; class-transformer and class-validator recurse once per level, so a
 * body nested thousands deep (small enough for the size limit) would overflow the stack.
 */
export const MAX_BODY_DEPTH = 32;

/** Depth of a parsed JSON value, walked with an explicit stack so the check itself cannot overflow. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}

/** Express middleware after the JSON parser: refuses a body nested deeper than `maxDepth`. */
export function bodyDepthLimit(maxDepth = MAX_BODY_DEPTH) {
  return (req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: Next): void => {
    if (jsonDepth(req.body, maxDepth) > maxDepth) {
      next(new DomainError('http.body_too_deep', `request body is nested deeper than ${maxDepth} levels`, 400, { maxDepth }));
      return;
    }
    next();
  };
}

/**
 * First middleware of all: the request id exists before the body parser runs, so its 400 and 413
 * carry it like every other problem (pino-http keeps an id already on the request).
 */
export function assignRequestId() {
  return (req: IncomingMessage & { id?: string | number }, res: ServerResponse, next: Next): void => {
    req.id ??= requestIdFrom(req, res);
    next();
  };
}

/**
 * API answers default to `Cache-Control: no-store`: most carry personal data (names, contact
 * details, access history) or depend on the token, and no shared or browser cache may keep them
 * (RFC 9111 section 5.2.2.5). Routes that set their own header (the console's static files) keep it.
 */
export function noStoreByDefault(exceptPrefixes: string[] = []) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const path = (req.url ?? '').split('?')[0];
    if (!exceptPrefixes.some((p) => path === p || path.startsWith(`${p}/`))) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
