/**
 * Which credentials a door asks for, and what the presented ones prove: fingerprint, card, PIN,
 * alone or two at once (issue 17). Pure: the caller resolves each factor (finger search, card
 * record lookup, PIN verification with its counter) and passes the results with their instants;
 * nothing here sees a card number or a PIN.
 *
 * `decideCredentials` turns the factors of one attempt into: identified (a person), pending (a
 * second factor awaited until an instant) or denied with a reason. `decideCredentialAccess` then
 * applies `evaluateAccess` (grants, schedules, service end, suspension) to the identified person.
 *
 * One attempt = the factors presented at one door in one direction (entry and exit readers are on
 * different sides of the door, so a card outside and a finger inside never combine), in order,
 * within `windowMs` of the first. A factor of a kind the attempt already holds starts a new
 * attempt (the person tapped their card again); so does a factor in the other direction. A factor
 * later than the window is not counted: the attempt it would have completed is
 * `second_factor_timeout`, and the caller then starts a new attempt with that factor alone.
 * Once an attempt is decided (identified or denied) the caller drops its factors.
 * At the deadline (`at >= until` of a pending answer) the caller decides again with the same
 * factors and gets `second_factor_timeout`; `ended: true` (cancel key, reader gone) closes an
 * incomplete attempt early with `second_factor_missing`.
 *
 * Window default 10 s: a card tap and a 4-6 digit PIN or a finger on a reader beside it take a
 * few seconds; 10 s leaves room for a slow typist or a second placement after a poor finger
 * read, while a card left pending at an unattended door cannot be completed by whoever walks
 * up a minute later. Configurable per call (bounds in `CREDENTIAL_WINDOW_BOUNDS_MS`).
 *
 * Order of checks (the first that fails is the answer):
 *   1. the door's policy accepts each presented kind       credential_not_allowed
 *      (depends on the door only, so it reveals nothing about the card or the finger)
 *   2. a two-factor policy with one factor so far          pending (until first + window),
 *      whatever that factor is worth; then, at the deadline, second_factor_timeout; closed
 *      early, second_factor_missing. A PIN with no card before it is second_factor_missing.
 *   3. the fingerprint identifies someone                  low_score, unknown_finger
 *   4. the card: known, not revoked, not suspended, valid  card_unknown, card_revoked,
 *                                                          card_suspended, card_not_yet_valid,
 *                                                          card_expired
 *   5. the PIN of that card: not locked, right             pin_locked, pin_wrong
 *   6. card and finger name the same person                factor_mismatch
 * Why this order: an attacker at the door only sees "wait for the second factor" or "denied".
 * Step 2 before 3-5 means the first factor of a two-factor policy never ends the attempt on its
 * own, so tapping found or stolen cards at a card+PIN door does not tell which ones exist, are
 * revoked or have a PIN (the door asks every card for a PIN), and a finger at card+finger
 * does not tell whether it is enrolled. The card's own state (4) comes before its PIN (5): the
 * PIN of a card that is not active is never the reason, so a revoked or unknown card is not a
 * PIN-guessing oracle, and the security desk sees the stronger signal (a revoked card in use).
 * The service must spend the same work on a PIN for an unknown card (a dummy hash), or the
 * denial's timing would tell what step 2 hides. Each factor is checked on its own (3-5) before
 * they are compared (6): a revoked card with someone else's finger is reported as the revoked
 * card. Revoked before suspended before validity: the most final state is the most useful.
 */
import { evaluateAccess } from './effective-access.js';
import type { AccessReason, CredentialPolicy, DoorFacts, Instant, RegistrySnapshot, ZoneFacts } from './model.js';
import { DEFAULT_CREDENTIAL_POLICY } from './model.js';
import type { SnapshotIndex } from './snapshot-index.js';

export const FACTOR_KINDS = ['fingerprint', 'card', 'pin'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

export const CARD_STATES = ['active', 'suspended', 'revoked'] as const;
export type CardState = (typeof CARD_STATES)[number];

/** A card record as the credential store resolved it from a read; never the card number. */
export interface CardFacts {
  id: string;
  personId: string;
  customerId: string;
  state: CardState;
  /** Inclusive; null = from issue. */
  validFrom: Instant | null;
  /** Exclusive; null = open-ended. */
  validUntil: Instant | null;
}

/** What the PIN check of the attempt's card said (the counter and lock-out live in the store). */
export const PIN_RESULTS = ['match', 'mismatch', 'locked'] as const;
export type PinResult = (typeof PIN_RESULTS)[number];

interface FactorBase {
  readerId: string;
  /** Entry or exit side of the door. */
  direction: 'entry' | 'exit';
  at: Instant;
}
export interface FingerprintFactor extends FactorBase {
  kind: 'fingerprint';
  /** The person the matched slot maps to; null when nothing matched or the slot is unmapped. */
  personId: string | null;
  /** null when there was no match; a missing score never passes. */
  score: number | null;
  threshold: number;
}
export interface CardFactor extends FactorBase {
  kind: 'card';
  /** null: the read resolved to no card record of any customer. */
  card: CardFacts | null;
}
export interface PinFactor extends FactorBase {
  kind: 'pin';
  result: PinResult;
}
export type PresentedFactor = FingerprintFactor | CardFactor | PinFactor;

/** Reasons of the credential step, in check order (see the header). Stable codes. */
export const CREDENTIAL_REASONS = [
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
] as const;
export type CredentialReason = (typeof CREDENTIAL_REASONS)[number];

export const CREDENTIAL_REASON_DESCRIPTIONS: Readonly<Record<CredentialReason, string>> = {
  credential_not_allowed: "The door's credential policy does not accept this kind of credential (e.g. a card at a fingerprint-only zone).",
  second_factor_missing: 'The attempt ended without the second factor the policy requires (cancelled, or a PIN with no card before it).',
  second_factor_timeout: 'The second factor did not come within the correlation window.',
  low_score: 'The reader matched with a score under the threshold (or none): treated as no match.',
  unknown_finger: 'The finger matches no enrolled template (or the slot maps to no person).',
  card_unknown: 'The card read matches no issued card.',
  card_revoked: 'The card has been revoked.',
  card_suspended: 'The card is suspended.',
  card_not_yet_valid: "The card's validity has not started yet.",
  card_expired: "The card's validity has ended.",
  pin_locked: "The card's PIN is locked after too many wrong entries; staff must reset it.",
  pin_wrong: 'The PIN does not match the card.',
  factor_mismatch: 'The card and the finger belong to two different people.',
};

/** Default correlation window of a two-factor attempt; see the header for the figure. */
export const DEFAULT_CREDENTIAL_WINDOW_MS = 10_000;
/** Shorter than 3 s nobody completes a PIN; longer than 60 s an abandoned attempt lingers. */
export const CREDENTIAL_WINDOW_BOUNDS_MS = { min: 3_000, max: 60_000 } as const;

const POLICY_FACTORS: Readonly<Record<CredentialPolicy, { accepts: readonly FactorKind[]; needs: readonly (readonly FactorKind[])[] }>> = {
  fingerprint: { accepts: ['fingerprint'], needs: [['fingerprint']] },
  card: { accepts: ['card'], needs: [['card']] },
  'card+pin': { accepts: ['card', 'pin'], needs: [['card', 'pin']] },
  'card+fingerprint': { accepts: ['card', 'fingerprint'], needs: [['card', 'fingerprint']] },
  'fingerprint|card': { accepts: ['fingerprint', 'card'], needs: [['fingerprint'], ['card']] },
};

/** The door's own policy if it has one, else its zone's, else fingerprint (today's behaviour). */
export function credentialPolicyFor(zone: Pick<ZoneFacts, 'credentialPolicy'> | undefined, door?: Pick<DoorFacts, 'credentialPolicy'>): CredentialPolicy {
  return door?.credentialPolicy ?? zone?.credentialPolicy ?? DEFAULT_CREDENTIAL_POLICY;
}

export function isTwoFactor(policy: CredentialPolicy): boolean {
  return POLICY_FACTORS[policy].needs.every((set) => set.length > 1);
}

export interface CredentialInput {
  policy: CredentialPolicy;
  /** The factors presented at the door, oldest first (the caller's recent factors at this door). */
  factors: readonly PresentedFactor[];
  /** The decision instant: the last factor's, or a pending answer's `until` for its timeout. */
  at: Instant;
  /** Default `DEFAULT_CREDENTIAL_WINDOW_MS`. */
  windowMs?: number;
  /** No more factors will come for this attempt (cancel key, reader offline). */
  ended?: boolean;
}

export type CredentialOutcome =
  | { status: 'identified'; personId: string; factors: FactorKind[]; cardId: string | null; readerIds: string[] }
  | { status: 'pending'; awaiting: FactorKind[]; until: Instant; readerIds: string[] }
  | {
      status: 'denied';
      reason: CredentialReason;
      /** The person a valid-enough factor names (a known card, a matched finger); null otherwise or on a mismatch. */
      personId: string | null;
      cardId: string | null;
      readerIds: string[];
    };

/** The current attempt: the factors since the last repeated kind or change of direction. */
export function currentAttempt(factors: readonly PresentedFactor[]): PresentedFactor[] {
  let start = 0;
  for (let i = 1; i < factors.length; i++) {
    const f = factors[i]!;
    const current = factors.slice(start, i);
    if (current.some((g) => g.kind === f.kind || g.direction !== f.direction)) start = i;
  }
  return factors.slice(start);
}

function checkWindow(windowMs: number): void {
  if (!Number.isFinite(windowMs) || windowMs < CREDENTIAL_WINDOW_BOUNDS_MS.min || windowMs > CREDENTIAL_WINDOW_BOUNDS_MS.max) {
    throw new RangeError(`credential window ${windowMs} ms outside ${CREDENTIAL_WINDOW_BOUNDS_MS.min}..${CREDENTIAL_WINDOW_BOUNDS_MS.max}`);
  }
}

function cardReason(card: CardFacts | null, at: Instant): CredentialReason | null {
  if (card === null) return 'card_unknown';
  if (card.state === 'revoked') return 'card_revoked';
  if (card.state === 'suspended') return 'card_suspended';
  if (card.validFrom !== null && at < card.validFrom) return 'card_not_yet_valid';
  if (card.validUntil !== null && at >= card.validUntil) return 'card_expired';
  return null;
}

export function decideCredentials(input: CredentialInput): CredentialOutcome {
  const windowMs = input.windowMs ?? DEFAULT_CREDENTIAL_WINDOW_MS;
  checkWindow(windowMs);
  const { policy, at } = input;
  const rules = POLICY_FACTORS[policy];
  const attempt = currentAttempt(input.factors);
  if (attempt.length === 0) throw new Error('decideCredentials: no factor presented');
  const first = attempt[0]!;
  const deadline = first.at + windowMs;
  // A factor after the deadline belongs to no attempt of `first`'s: it is not counted.
  const inWindow = attempt.filter((f) => f.at < deadline);
  const late = inWindow.length < attempt.length;
  const readerIds = [...new Set(inWindow.map((f) => f.readerId))];
  const denied = (reason: CredentialReason, personId: string | null = null, cardId: string | null = null): CredentialOutcome => ({
    status: 'denied',
    reason,
    personId,
    cardId,
    readerIds,
  });

  // 1. The door decides what it accepts, before anything about the factor is looked at.
  if (inWindow.some((f) => !rules.accepts.includes(f.kind))) return denied('credential_not_allowed');

  // 2. Complete one of the policy's factor sets, or wait / time out without judging the factor.
  // A PIN proves something only about the card read before it: one typed first is discarded,
  // never held in memory waiting for a card.
  if (first.kind === 'pin') return denied('second_factor_missing');
  const kinds = new Set(inWindow.map((f) => f.kind));
  const satisfied = rules.needs.find((set) => set.every((k) => kinds.has(k)));
  if (!satisfied) {
    if (late || at >= deadline) return denied('second_factor_timeout');
    if (input.ended) return denied('second_factor_missing');
    const awaiting = rules.needs[0]!.filter((k) => !kinds.has(k));
    return { status: 'pending', awaiting, until: deadline, readerIds };
  }
  // With both kinds at a `fingerprint|card` door the first listed set (the finger) decides;
  // the caller normally decides at the first factor there, so this is rare.
  const pick = <K extends FactorKind>(kind: K) =>
    satisfied.includes(kind) ? (inWindow.find((f) => f.kind === kind) as Extract<PresentedFactor, { kind: K }> | undefined) : undefined;
  const finger = pick('fingerprint');
  const cardFactor = pick('card');
  const pin = pick('pin');

  // 3. The finger, as in badge-in: only a match at or above the threshold names anyone.
  let fingerPerson: string | null = null;
  if (finger) {
    const identified = finger.personId !== null && finger.score !== null && finger.score >= finger.threshold;
    if (!identified) {
      const weak = finger.score !== null ? finger.score < finger.threshold : finger.personId !== null;
      return denied(weak ? 'low_score' : 'unknown_finger');
    }
    fingerPerson = finger.personId;
  }

  // 4. The card on its own; 5. its PIN.
  const card = cardFactor?.card ?? null;
  if (cardFactor) {
    const reason = cardReason(card, at);
    if (reason !== null) return denied(reason, card?.personId ?? null, card?.id ?? null);
  }
  if (pin && card) {
    if (pin.result === 'locked') return denied('pin_locked', card.personId, card.id);
    if (pin.result === 'mismatch') return denied('pin_wrong', card.personId, card.id);
  }

  // 6. Two factors must name one person.
  if (card && fingerPerson !== null && card.personId !== fingerPerson) return denied('factor_mismatch', null, card.id);

  const personId = card?.personId ?? fingerPerson;
  if (personId === null) throw new Error('decideCredentials: a satisfied policy named nobody'); // unreachable by construction
  return { status: 'identified', personId, factors: [...satisfied], cardId: card?.id ?? null, readerIds };
}

export interface CredentialAccessInput extends Omit<CredentialInput, 'policy'> {
  snapshot: RegistrySnapshot;
  index?: SnapshotIndex;
  doorId: string;
}

export type CredentialAccessDecision =
  | {
      status: 'granted';
      reason: 'granted';
      personId: string;
      cardId: string | null;
      factors: FactorKind[];
      grantId?: string;
      accessLevelId?: string;
      until?: Instant;
    }
  | { status: 'pending'; awaiting: FactorKind[]; until: Instant }
  | { status: 'denied'; reason: CredentialReason | AccessReason; personId: string | null; cardId: string | null; grantId?: string; accessLevelId?: string };

/**
 * The door's policy (door over zone), the credential step, then `evaluateAccess` for the
 * identified person, unchanged. An unknown door is denied before any factor is looked at. A
 * card of another customer than its person's (a corrupt record) is `card_unknown`: it fails closed.
 */
export function decideCredentialAccess(input: CredentialAccessInput): CredentialAccessDecision {
  const { snapshot, doorId, at } = input;
  const door = snapshot.doors.get(doorId);
  const zone = door ? snapshot.zones.get(door.zoneId) : undefined;
  if (!door || !zone) return { status: 'denied', reason: 'unknown_door', personId: null, cardId: null };
  const outcome = decideCredentials({ ...input, policy: credentialPolicyFor(zone, door) });
  if (outcome.status === 'pending') return { status: 'pending', awaiting: outcome.awaiting, until: outcome.until };
  if (outcome.status === 'denied') return { status: 'denied', reason: outcome.reason, personId: outcome.personId, cardId: outcome.cardId };
  const card = outcome.cardId !== null ? findCard(input.factors, outcome.cardId) : null;
  const person = snapshot.persons.get(outcome.personId);
  if (card && person && card.customerId !== person.customerId) return { status: 'denied', reason: 'card_unknown', personId: null, cardId: card.id };
  const answer = evaluateAccess(snapshot, outcome.personId, doorId, at, input.index);
  const extra = {
    ...(answer.grantId !== undefined ? { grantId: answer.grantId } : {}),
    ...(answer.accessLevelId !== undefined ? { accessLevelId: answer.accessLevelId } : {}),
  };
  if (!answer.allowed) return { status: 'denied', reason: answer.reason, personId: outcome.personId, cardId: outcome.cardId, ...extra };
  return {
    status: 'granted',
    reason: 'granted',
    personId: outcome.personId,
    cardId: outcome.cardId,
    factors: outcome.factors,
    ...extra,
    ...(answer.until !== undefined ? { until: answer.until } : {}),
  };
}

function findCard(factors: readonly PresentedFactor[], cardId: string): CardFacts | null {
  for (const f of factors) if (f.kind === 'card' && f.card?.id === cardId) return f.card;
  return null;
}
