/**
 * Escorted visitors (issue 20, "Visitors"): a person whose facts name an escort (`escortedBy`, the
 * host who invited them) enters a zone only together with that host at the same door, within the
 * zone's two-person window (or `DEFAULT_ESCORT_WINDOW_SECONDS` where the zone has none). It is the
 * two-person rule keyed on who the holder is rather than on the zone, and reuses its machinery:
 * the first of the pair to badge waits at the door (`PendingTwoPerson` in the zone state), the
 * second completes the pair and one unlock lets both in.
 *
 *   visitor first: `escort_pending` (denied, waits for the window); the host badges within it:
 *                  `escorted` on the host's attempt, the visitor passes as its companion.
 *   host first:    in a zone without the two-person rule the host enters as always; the visitor
 *                  badging within the window after the host's granted entry at that door gets
 *                  `escorted`. In a two-person zone the host waits (`two_person_pending`) and
 *                  the visitor completes the pair (`escorted`, the host as companion): there the
 *                  pair must pass on one unlock, as the zone requires.
 *   anyone else:   never completes a visitor's pair; in a two-person zone they start a wait of
 *                  their own instead of pairing with a waiting visitor.
 *
 * Entries only, like the two-person rule: leaving must never wait for anyone. Whether a customer's
 * visitors must be escorted is the customer's policy, applied when the visitor is checked in (the
 * visitor's person facts name the host, or nobody): the decision here only reads the facts.
 */
import type { Instant } from './model.js';

/** Where the zone sets no two-person window: long enough to hold a door for a guest, short enough to pair only the two at it. */
export const DEFAULT_ESCORT_WINDOW_SECONDS = 30;

/** The longest window a zone can set (the zone API's bound); passages older than this cannot pair. */
export const MAX_ESCORT_WINDOW_SECONDS = 600;

export interface EscortFacts {
  /** The host who must escort the person badging now; null when the person needs no escort. */
  escortedBy: string | null;
  /** The person badging now. */
  personId: string;
  at: Instant;
  /** The zone's two-person window, or null when the zone has none. */
  twoPersonWindowSeconds: number | null;
  /** Who waits at this door for a second person (unexpired), and whom that person needs as escort. */
  pending: { personId: string; escortedBy: string | null; allowedNow: boolean } | null;
  /** The instant of the host's last granted entry at this door (host-first order); undefined when none. */
  hostEnteredAt: Instant | undefined;
  /** Whether the host may open this door now (a host cannot take a guest where they may not go). */
  hostAllowedNow: boolean;
}

export type EscortOutcome =
  /** Granted with reason `escorted`; `companionPersonId` passes on the same unlock when they waited at the door. */
  | { rule: 'escorted'; companionPersonId?: string }
  /** Denied: the visitor waits at the door for the host until `pendingUntil` (exclusive). */
  | { rule: 'escort_pending'; pendingUntil: Instant }
  /** Not an escort case: the zone's two-person rule decides; `pendingIsCompanion` false when the one waiting is someone else's visitor. */
  | { rule: 'two_person'; pendingIsCompanion: boolean }
  /** Not an escort case and no two-person rule: an ordinary grant. */
  | { rule: 'none' };

export function escortWindowMs(twoPersonWindowSeconds: number | null): number {
  return (twoPersonWindowSeconds ?? DEFAULT_ESCORT_WINDOW_SECONDS) * 1000;
}

/** The escort rule for an entry already authorised by every other check. Pure; see the module comment. */
export function decideEscort(f: EscortFacts): EscortOutcome {
  const windowMs = escortWindowMs(f.twoPersonWindowSeconds);
  const twoPersonZone = f.twoPersonWindowSeconds !== null;
  if (f.escortedBy !== null) {
    const host = f.escortedBy;
    if (f.pending && f.pending.personId === host && f.hostAllowedNow) return { rule: 'escorted', companionPersonId: host };
    const hostJustEntered = f.hostEnteredAt !== undefined && f.at - f.hostEnteredAt < windowMs && f.at >= f.hostEnteredAt;
    if (!twoPersonZone && hostJustEntered && f.hostAllowedNow) return { rule: 'escorted' };
    return { rule: 'escort_pending', pendingUntil: f.at + windowMs };
  }
  const p = f.pending;
  if (p && p.escortedBy !== null) {
    if (p.escortedBy === f.personId && p.allowedNow) return { rule: 'escorted', companionPersonId: p.personId };
    return twoPersonZone ? { rule: 'two_person', pendingIsCompanion: false } : { rule: 'none' };
  }
  return twoPersonZone ? { rule: 'two_person', pendingIsCompanion: true } : { rule: 'none' };
}
