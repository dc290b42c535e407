/**
 * The badge-in decision: a finger on a door reader -> open or stay shut, with a stated reason.
 * Pure: it reads the registry snapshot, the live zone state (read-only view) and the door's
 * conditions the caller passes in, and returns the decision; the caller then applies it to the
 * zone state (`ZoneState.applyDecision`), logs it and drives the door.
 *
 * Checks, in order; the first that fails is the answer (order of `BADGE_IN_DECISION_REASONS`):
 *   1. the door is known (and its zone)                         unknown_door
 *   2. the finger was identified with enough confidence        low_score, unknown_finger
 *   3. door in emergency release: open for anyone identified   emergency_release (granted)
 *   4. the registry answer, `evaluateAccess`, unchanged        unknown_person ... outside_schedule
 *   5. the door is not held locked by an operator              door_locked
 *   6. anti-passback of the door's zone                        anti_passback (hard: denied;
 *                                                              soft: flagged, see below)
 *   7. the controller can be reached                           controller_offline
 *   8. no other door of the interlock group is open/unlocked   interlock_busy
 *   9. escort of a visitor (entries only, escort.ts)           escort_pending, escorted
 *  10. two-person rule of the zone (entries only)              two_person_pending, two_person_granted
 * Reasons about the person come before reasons about the door, so that the access history
 * shows a suspended person trying a door even while its controller is offline; the door checks
 * are last because only an otherwise granted attempt can be stopped by them.
 *
 * Soft anti-passback grants and flags: `granted: true`, the reason of the grant, and
 * `violations: ['anti_passback']`. A flag is reported whenever the check saw the violation, so
 * a soft violation followed by another denial (e.g. controller offline) still shows it.
 *
 * Anti-passback: an entry while recorded inside the zone, or an exit while recorded outside it
 * (having left without coming back in), is a violation; an unknown or forgiven presence is not.
 * A door leads into its zone, so an exit reader at it leaves that zone.
 *
 * Two-person rule (zone `twoPersonWindowSeconds`), entries only since leaving must never wait
 * for someone: the first authorised person is denied `two_person_pending` and waits at that door
 * for the window; a second, distinct authorised person at the same door within the window gets
 * `two_person_granted`, and that one unlock lets both in (`companionPersonId` names the first,
 * whose access is re-evaluated at the second's instant). The same person again restarts the
 * wait; after the window the next person starts a new one.
 *
 * Exits are decided like entries (same grants, lockdown blocks both): egress never depends on
 * a reader, the exit button and panic hardware are wired to the door.
 */
import { CREDENTIAL_REASON_DESCRIPTIONS, type CredentialReason, type FactorKind } from './credentials.js';
import { evaluateAccess } from './effective-access.js';
import { decideEscort } from './escort.js';
import type { AccessReason, DoorFacts, Instant, RegistrySnapshot, ZoneFacts } from './model.js';
import { scanInterlockDoors, type SnapshotIndex } from './snapshot-index.js';
import type { ZoneStateView } from './zone-state.js';

export const BADGE_IN_DIRECTIONS = ['entry', 'exit'] as const;
export type BadgeInDirection = (typeof BADGE_IN_DIRECTIONS)[number];

/**
 * How the door is held besides the registry: `locked` by an operator (maintenance, incident),
 * `emergency_release` when unlocked for evacuation (fire input, or staff for a site or zone).
 * Registry lockdown of a zone is `ZoneFacts.lockdown` and comes through `evaluateAccess`.
 * Not the controller's own relay modes (`DOOR_MODES` in @acs/door-protocol, sent in `set-mode`):
 * the two sets differ and once shared a name.
 */
export const DOOR_HOLD_MODES = ['normal', 'locked', 'emergency_release'] as const;
export type DoorHoldMode = (typeof DOOR_HOLD_MODES)[number];

/** The codes the badge-in decision adds to `ACCESS_REASONS`. */
export const BADGE_IN_ONLY_REASONS = [
  'two_person_granted',
  'escorted',
  'emergency_release',
  'low_score',
  'unknown_finger',
  'door_locked',
  'anti_passback',
  'controller_offline',
  'interlock_busy',
  'two_person_pending',
  'escort_pending',
  // Cards and PINs (credentials.ts), besides low_score and unknown_finger above.
  'credential_not_allowed',
  'second_factor_missing',
  'second_factor_timeout',
  'card_unknown',
  'card_revoked',
  'card_suspended',
  'card_not_yet_valid',
  'card_expired',
  'pin_locked',
  'pin_wrong',
  'factor_mismatch',
] as const satisfies readonly (BadgeInOnlyReasonBase | CredentialReason)[];
type BadgeInOnlyReasonBase =
  | 'two_person_granted'
  | 'escorted'
  | 'escort_pending'
  | 'emergency_release'
  | 'low_score'
  | 'unknown_finger'
  | 'door_locked'
  | 'anti_passback'
  | 'controller_offline'
  | 'interlock_busy'
  | 'two_person_pending';
export type BadgeInOnlyReason = (typeof BADGE_IN_ONLY_REASONS)[number];
export type BadgeInReason = AccessReason | BadgeInOnlyReason;

/**
 * Every reason `decideBadgeIn` can give, granting ones first, then denials in check order.
 * Stable codes: they are stored in the access history.
 */
export const BADGE_IN_DECISION_REASONS = [
  'granted',
  'two_person_granted',
  'escorted',
  'emergency_release',
  'unknown_door',
  'credential_not_allowed',
  'second_factor_missing',
  'second_factor_timeout',
  'low_score',
  'unknown_finger',
  'card_unknown',
  'card_revoked',
  'card_suspended',
  'card_not_yet_valid',
  'card_expired',
  'pin_locked',
  'pin_wrong',
  'factor_mismatch',
  'unknown_person',
  'customer_purged',
  'customer_not_started',
  'customer_service_ended',
  'person_suspended',
  'person_restricted',
  'person_not_yet_valid',
  'person_expired',
  'zone_lockdown',
  'no_grant_for_door',
  'grant_not_yet_valid',
  'grant_expired',
  'outside_schedule',
  'door_locked',
  'anti_passback',
  'controller_offline',
  'interlock_busy',
  'escort_pending',
  'two_person_pending',
] as const satisfies readonly BadgeInReason[];

/** The reasons of a granted decision. */
export const GRANTING_REASONS = ['granted', 'two_person_granted', 'escorted', 'emergency_release'] as const satisfies readonly BadgeInReason[];

/** Rule violations that do not deny (soft anti-passback). */
export const BADGE_IN_VIOLATIONS = ['anti_passback'] as const;
export type BadgeInViolation = (typeof BADGE_IN_VIOLATIONS)[number];

/**
 * BioStar-style event families: identify (1:N identify fail 0x1400, unregistered 0x1800), access
 * denied with a sub-code (0x1900), dual authentication (0x1600 success / 0x1700 fail), device
 * (controller, configuration), and granted (identify success 0x1300, emergency unlock).
 */
export type ReasonFamily = 'granted' | 'identify' | 'access_denied' | 'dual_auth' | 'device';

/** One line per code: what it means to the person at the door and to the security desk. */
export const REASON_DESCRIPTIONS: Readonly<Record<BadgeInReason, string>> = {
  ...CREDENTIAL_REASON_DESCRIPTIONS,
  granted: 'Identified and authorised; the door is unlocked.',
  two_person_granted: 'Second distinct authorised person within the window; one unlock lets both in.',
  emergency_release: 'Door is released for evacuation; identified person passes without other checks.',
  unknown_door: "The reader's door (or its zone) is not in the registry: a configuration error.",
  low_score: 'The reader matched with a score under the threshold (or none): treated as no match.',
  unknown_finger: 'The finger matches no enrolled template (or the slot maps to no person).',
  unknown_person: 'The matched person is not in the registry (deleted, or the customer is missing).',
  customer_purged: "The person's customer has been purged.",
  customer_not_started: "The customer's service has not started yet.",
  customer_service_ended: "The customer's service has ended (from the exact end instant on).",
  person_suspended: 'The person is suspended.',
  person_restricted: 'The person is restricted.',
  person_not_yet_valid: "The person's validity has not started yet.",
  person_expired: "The person's validity has ended.",
  zone_lockdown: "The door's zone is in lockdown (registry).",
  no_grant_for_door: 'No grant of the person covers this door.',
  grant_not_yet_valid: 'A covering grant exists but starts later.',
  grant_expired: 'Covering grants exist but all have ended.',
  outside_schedule: 'A covering grant is valid but its schedule is closed now.',
  door_locked: 'The door is held locked by an operator.',
  anti_passback: 'Hard anti-passback: entry while recorded inside, or exit while recorded outside (soft: a violation flag on a grant).',
  controller_offline: 'Authorised, but the door controller is offline: the door cannot be opened.',
  interlock_busy: 'Authorised, but another door of the interlock group is open or unlocked.',
  two_person_pending: 'Authorised first person of a two-person zone: waiting for a second person.',
  escorted: 'A visitor and the host escorting them badged at this door within the window; the unlock lets them in.',
  escort_pending: 'Authorised visitor who must be escorted: waiting for their host to badge at this door.',
};

export const REASON_FAMILIES: Readonly<Record<BadgeInReason, ReasonFamily>> = {
  granted: 'granted',
  two_person_granted: 'dual_auth',
  emergency_release: 'granted',
  unknown_door: 'device',
  low_score: 'identify',
  unknown_finger: 'identify',
  unknown_person: 'identify',
  customer_purged: 'access_denied',
  customer_not_started: 'access_denied',
  customer_service_ended: 'access_denied',
  person_suspended: 'access_denied',
  person_restricted: 'access_denied',
  person_not_yet_valid: 'access_denied',
  person_expired: 'access_denied',
  zone_lockdown: 'access_denied',
  no_grant_for_door: 'access_denied',
  grant_not_yet_valid: 'access_denied',
  grant_expired: 'access_denied',
  outside_schedule: 'access_denied',
  door_locked: 'access_denied',
  anti_passback: 'access_denied',
  controller_offline: 'device',
  interlock_busy: 'access_denied',
  two_person_pending: 'dual_auth',
  escorted: 'dual_auth',
  escort_pending: 'dual_auth',
  credential_not_allowed: 'access_denied',
  second_factor_missing: 'dual_auth',
  second_factor_timeout: 'dual_auth',
  card_unknown: 'identify',
  card_revoked: 'access_denied',
  card_suspended: 'access_denied',
  card_not_yet_valid: 'access_denied',
  card_expired: 'access_denied',
  pin_locked: 'dual_auth',
  pin_wrong: 'dual_auth',
  factor_mismatch: 'dual_auth',
};

export interface BadgeInAttempt {
  readerId: string;
  doorId: string;
  direction: BadgeInDirection;
  /** The person the matched slot maps to; null when the search found nothing or the slot is unmapped. */
  personId: string | null;
  /** The reader's match score; null when there was no match. A missing score never passes. */
  score: number | null;
  /** Scores below this count as no match. */
  threshold: number;
  at: Instant;
  /**
   * The credential step (credentials.ts) already identified `personId` with these factors (a
   * card, card + PIN, card + finger): the score is not looked at. Absent for a finger alone.
   */
  identifiedBy?: readonly FactorKind[];
  /**
   * The credential step denied the attempt: decided with this reason right after the door
   * check, attributed to `personId` when the step named someone (a revoked card's holder).
   */
  credentialDenial?: CredentialReason;
}

/** What only the live door edge knows at decision time. */
export interface DoorConditions {
  controllerOnline: boolean;
  /** Default `normal`. */
  mode?: DoorHoldMode;
}

export interface BadgeInInput {
  snapshot: RegistrySnapshot;
  /** Built from `snapshot`; optional, only for speed. */
  index?: SnapshotIndex;
  attempt: BadgeInAttempt;
  door: DoorConditions;
  state: ZoneStateView;
}

export interface BadgeInDecision {
  granted: boolean;
  reason: BadgeInReason;
  /** Soft rule violations seen on the way (empty when none). */
  violations: BadgeInViolation[];
  readerId: string;
  doorId: string;
  direction: BadgeInDirection;
  at: Instant;
  /** The identified person; null when the finger was not identified (no attribution on a weak match). */
  personId: string | null;
  /** The person's customer, when the person is in the registry. */
  customerId: string | null;
  /** From the door, when it is in the registry. */
  siteId: string | null;
  zoneId: string | null;
  /** From `evaluateAccess`: the grant that allows it, or the closest one that did not. */
  grantId?: string;
  accessLevelId?: string;
  /** From `evaluateAccess`: when its answer next changes by time alone. */
  until?: Instant;
  /** two_person_granted and escorted: the one who waited at the door and passes with this unlock. */
  companionPersonId?: string;
  /** two_person_pending and escort_pending: the wait ends at this instant (exclusive). */
  pendingUntil?: Instant;
}

type Base = Omit<BadgeInDecision, 'granted' | 'reason' | 'violations'>;

function decided(base: Base, granted: boolean, reason: BadgeInReason, violations: BadgeInViolation[] = []): BadgeInDecision {
  return { granted, reason, violations, ...base };
}

function isIdentified(attempt: BadgeInAttempt): boolean {
  if (attempt.credentialDenial !== undefined || attempt.identifiedBy !== undefined) return attempt.personId !== null;
  return attempt.personId !== null && attempt.score !== null && attempt.score >= attempt.threshold;
}

function violatesAntiPassback(state: ZoneStateView, personId: string, zone: ZoneFacts, attempt: BadgeInAttempt): boolean {
  if (zone.antiPassback === 'off') return false;
  const side = state.presenceOf(personId, zone.id, attempt.at);
  return attempt.direction === 'entry' ? side === 'inside' : side === 'outside';
}

function interlockBusy(input: BadgeInInput, door: DoorFacts, zone: ZoneFacts): boolean {
  const group = zone.interlockGroup;
  if (group === null) return false;
  const doors = input.index ? input.index.interlockDoors(group) : scanInterlockDoors(input.snapshot, group);
  for (const other of doors) {
    if (other !== door.id && input.state.isDoorBusy(other, input.attempt.at)) return true;
  }
  return false;
}

export function decideBadgeIn(input: BadgeInInput): BadgeInDecision {
  const { snapshot, index, attempt, state } = input;
  // An index of an older snapshot would answer interlock and grants from stale facts.
  if (index && index.snapshot !== snapshot) throw new Error('decideBadgeIn: the index belongs to another snapshot');
  const door = snapshot.doors.get(attempt.doorId);
  const zone = door ? snapshot.zones.get(door.zoneId) : undefined;
  const identified = isIdentified(attempt);
  // Only a match that passes the threshold names anyone: a weak one must not put a person at a door.
  const personId = identified ? attempt.personId : null;
  const person = personId !== null ? snapshot.persons.get(personId) : undefined;
  const base: Base = {
    readerId: attempt.readerId,
    doorId: attempt.doorId,
    direction: attempt.direction,
    at: attempt.at,
    personId,
    customerId: person && snapshot.customers.has(person.customerId) ? person.customerId : null,
    siteId: door?.siteId ?? null,
    zoneId: zone ? zone.id : null,
  };
  if (!door || !zone) return decided(base, false, 'unknown_door');
  if (attempt.credentialDenial !== undefined) return decided(base, false, attempt.credentialDenial);

  if (personId === null) {
    // A score given but too low says the reader saw a weak match; nothing at all is an unknown finger.
    const weak = attempt.score !== null ? attempt.score < attempt.threshold : attempt.personId !== null;
    return decided(base, false, weak ? 'low_score' : 'unknown_finger');
  }

  if (input.door.mode === 'emergency_release') return decided(base, true, 'emergency_release');

  const answer = evaluateAccess(snapshot, personId, door.id, attempt.at, index);
  if (answer.grantId !== undefined) base.grantId = answer.grantId;
  if (answer.accessLevelId !== undefined) base.accessLevelId = answer.accessLevelId;
  if (answer.until !== undefined) base.until = answer.until;
  if (!answer.allowed) return decided(base, false, answer.reason);

  if (input.door.mode === 'locked') return decided(base, false, 'door_locked');

  const violations: BadgeInViolation[] = [];
  if (violatesAntiPassback(state, personId, zone, attempt)) {
    if (zone.antiPassback === 'hard') return decided(base, false, 'anti_passback');
    violations.push('anti_passback');
  }

  if (!input.door.controllerOnline) return decided(base, false, 'controller_offline', violations);
  if (interlockBusy(input, door, zone)) return decided(base, false, 'interlock_busy', violations);

  if (attempt.direction === 'exit') return decided(base, true, 'granted', violations);
  const window = zone.twoPersonWindowSeconds;
  const pending = state.pendingAt(door.id, attempt.at);
  const mayOpen = (who: string) => evaluateAccess(snapshot, who, door.id, attempt.at, index).allowed;
  const escortedBy = person?.escortedBy ?? null;
  const pendingEscort = pending ? (snapshot.persons.get(pending.personId)?.escortedBy ?? null) : null;
  const escort = decideEscort({
    escortedBy,
    personId,
    at: attempt.at,
    twoPersonWindowSeconds: window,
    pending: pending && pending.personId !== personId ? { personId: pending.personId, escortedBy: pendingEscort, allowedNow: mayOpen(pending.personId) } : null,
    hostEnteredAt: escortedBy !== null ? state.lastEntryAt(door.id, escortedBy, attempt.at) : undefined,
    hostAllowedNow: escortedBy !== null && mayOpen(escortedBy),
  });
  if (escort.rule === 'escorted') {
    const companion = escort.companionPersonId !== undefined ? { companionPersonId: escort.companionPersonId } : {};
    return decided({ ...base, ...companion }, true, 'escorted', violations);
  }
  if (escort.rule === 'escort_pending') return decided({ ...base, pendingUntil: escort.pendingUntil }, false, 'escort_pending', violations);

  if (escort.rule === 'two_person' && window !== null) {
    if (escort.pendingIsCompanion && pending && pending.personId !== personId && mayOpen(pending.personId)) {
      return decided({ ...base, companionPersonId: pending.personId }, true, 'two_person_granted', violations);
    }
    return decided({ ...base, pendingUntil: attempt.at + window * 1000 }, false, 'two_person_pending', violations);
  }

  return decided(base, true, 'granted', violations);
}
