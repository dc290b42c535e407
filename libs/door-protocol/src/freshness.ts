import type { Clock } from '@acs/clock';

/** Default tolerated difference between sender and receiver clocks. */
export const DEFAULT_MAX_SKEW_MS = 30_000;

export type Freshness = 'fresh' | 'stale' | 'future';

/**
 * MQTT 3.1.1 has no message expiry (aedes does not speak MQTT 5), and a persistent session can hold
 * a QoS 1 command for an offline controller indefinitely, so freshness lives in the payload
 * (hardware/door-protocol/README.md §Freshness): |now - ts| must not exceed `maxSkewMs`, and a
 * command's own `ttlMs` shortens how old it may be.
 */
export function checkFreshness(ts: number, clock: Clock, maxSkewMs = DEFAULT_MAX_SKEW_MS, ttlMs?: number): Freshness {
  const delta = clock.nowMs() - ts;
  // A sender-chosen ttl can only shorten the window, never widen it past the receiver's own limit.
  if (delta > Math.min(maxSkewMs, ttlMs ?? maxSkewMs)) return 'stale';
  if (delta < -maxSkewMs) return 'future';
  return 'fresh';
}

/**
 * Upper bound on every time a controller reports (message ts, event epoch): at most this far
 * ahead of the server's clock (hardware/door-protocol/README.md §Clock bound). Commands already
 * fail beyond DEFAULT_MAX_SKEW_MS of skew, so a controller this far ahead is broken or forged;
 * without a bound one message dated 2100 would win every later ordering by time or epoch.
 */
export const MAX_FUTURE_SKEW_MS = DEFAULT_MAX_SKEW_MS;

/** The first of the reported times that lies beyond the server clock plus the skew, or undefined. */
export function aheadOfClock(
  times: Record<string, unknown>,
  nowMs: number,
  maxFutureSkewMs = MAX_FUTURE_SKEW_MS,
): { field: string; value: number } | undefined {
  for (const [field, value] of Object.entries(times)) {
    if (typeof value === 'number' && Number.isFinite(value) && value > nowMs + maxFutureSkewMs) return { field, value };
  }
  return undefined;
}
