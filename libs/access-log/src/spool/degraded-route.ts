/**
 * Where an access event goes (docs/failover.md, "Degraded mode"):
 * - `central`: the batched append to the central history (the database is reachable, nothing spooled);
 * - `spool`: committed to the instance's local spool first. While degraded within the window, and
 *   also while spooled events still wait for replay: an event written centrally before them would
 *   put the chain out of the order the attempts were decided in;
 * - `refuse`: not recorded, so nobody is admitted (fail secure): degraded beyond the window, or
 *   with the window 0.
 */
export type DegradedRoute = 'central' | 'spool' | 'refuse';

export interface DegradedRouteInput {
  /** DEGRADED_WINDOW_S; 0 = fail secure at once, never spool. */
  windowS: number;
  /** Epoch ms of the first connection failure of this outage; null when the database is reachable. */
  degradedSince: number | null;
  now: number;
  /** Events in the spool waiting for replay. */
  spooled: number;
}

export function degradedRoute(i: DegradedRouteInput): DegradedRoute {
  if (i.degradedSince === null) return i.spooled > 0 && i.windowS > 0 ? 'spool' : 'central';
  if (i.windowS <= 0) return 'refuse';
  // The window is inclusive: at exactly windowS seconds of outage the event is still spooled.
  return i.now - i.degradedSince <= i.windowS * 1000 ? 'spool' : 'refuse';
}
