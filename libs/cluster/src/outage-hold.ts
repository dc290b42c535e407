/**
 * Whether a failover lease this instance held may still be used past its own deadline because
 * the database became unreachable (degraded mode, docs/failover.md "Failover devices during a
 * database outage"). The lease cannot be renewed then, but the doors should keep admitting from
 * the in-memory snapshot for the degraded window, as the devices bound to a fixed host do.
 *
 * Safety does not rest on this rule: a controller refuses the commands of a deposed holder once
 * it has seen a higher fence (`fenced`), and a reader's device server hands the connection to the
 * newest client, which this instance then does not reopen while degraded. The rule only bounds
 * the hold: in time (the window) and to leases held, by this instance's clock, when the outage
 * was first noticed, so a process that was paused past its lease and wakes into an outage does
 * not start using devices again.
 */
export interface OutageHoldInput {
  /** Local deadline of the lease: the start of its last successful renewal plus the lease time. */
  until: number;
  now: number;
  /** First connection failure of the current outage, or of the one just over (see `recoveredAt`); null: none. */
  outageSince: number | null;
  /** When the database was found reachable again; null while the outage lasts (or with none). */
  recoveredAt: number | null;
  /** DEGRADED_WINDOW_S; 0: no degraded mode, so no hold either. */
  windowS: number;
  /** After the recovery, how long the hold lasts for the renewal to say whether the lease is still ours. */
  graceMs: number;
}

export function outageHold(i: OutageHoldInput): boolean {
  if (i.now < i.until) return true;
  if (i.outageSince === null || i.windowS <= 0) return false;
  // The lease had already lapsed by our own clock when the outage began: it was lost, not kept.
  if (i.outageSince > i.until) return false;
  // Beyond the window the doors fail secure anyway (degradedRoute refuses to record).
  if (i.now - i.outageSince > i.windowS * 1000) return false;
  // Back: the renewal that follows the recovery decides; it is given one renewal period.
  if (i.recoveredAt !== null && i.now > i.recoveredAt + i.graceMs) return false;
  return true;
}
