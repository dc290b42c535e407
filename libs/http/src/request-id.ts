import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The request id: the caller's X-Request-Id when it is a plain token (so a load balancer's id
 * follows the request), otherwise a fresh UUID. Echoed on the response.
 */
export function requestIdFrom(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
