import { createHash, timingSafeEqual } from 'node:crypto';

export type ScrapeVerdict = 'allowed' | 'disabled' | 'unauthenticated';

/**
 * Whether a scrape may read the metrics. `token` is METRICS_TOKEN (undefined: not configured);
 * `openWithoutToken` is true only on the separate loopback listener, where the address is the
 * protection. A bearer token per RFC 6750 §2.1 (`Authorization: Bearer <token>`, scheme
 * case-insensitive); compared in constant time over fixed-length digests so neither the content
 * nor the length leaks through timing.
 */
export function scrapeVerdict(authorization: string | undefined, token: string | undefined, openWithoutToken: boolean): ScrapeVerdict {
  if (!token) return openWithoutToken ? 'allowed' : 'disabled';
  const m = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  if (!m) return 'unauthenticated';
  const given = createHash('sha256').update(m[1]).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) ? 'allowed' : 'unauthenticated';
}

/** RFC 6750 §3: the challenge a refused scrape carries. */
export const METRICS_CHALLENGE = 'Bearer realm="metrics"';
