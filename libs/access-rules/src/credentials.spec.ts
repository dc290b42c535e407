import { describe, expect, it } from '@jest/globals';
import {
  CREDENTIAL_POLICIES,
  CREDENTIAL_REASONS,
  CREDENTIAL_REASON_DESCRIPTIONS,
  DEFAULT_CREDENTIAL_WINDOW_MS,
  credentialPolicyFor,
  currentAttempt,
  decideCredentialAccess,
  decideCredentials,
  isTwoFactor,
  type CardFacts,
  type CredentialOutcome,
  type CredentialPolicy,
  type CredentialReason,
  type PresentedFactor,
} from '@acs/access-rules';
import { instant, snapshotBuilder } from '@acs/access-rules/testing';

const T = instant('2026-03-30T10:00:00+02:00');
const S = 1000;
const W = DEFAULT_CREDENTIAL_WINDOW_MS;

const aliceCard: CardFacts = { id: 'c-alice', personId: 'alice', customerId: 'acme', state: 'active', validFrom: null, validUntil: null };
const bobCard: CardFacts = { ...aliceCard, id: 'c-bob', personId: 'bob' };

const card = (after = 0, c: CardFacts | null = aliceCard, direction: 'entry' | 'exit' = 'entry'): PresentedFactor => ({
  kind: 'card',
  readerId: 'osdp-1',
  direction,
  at: T + after,
  card: c,
});
const pin = (after = 2 * S, result: 'match' | 'mismatch' | 'locked' = 'match'): PresentedFactor => ({
  kind: 'pin',
  readerId: 'osdp-1',
  direction: 'entry',
  at: T + after,
  result,
});
const finger = (after = 0, personId: string | null = 'alice', score: number | null = 90, direction: 'entry' | 'exit' = 'entry'): PresentedFactor => ({
  kind: 'fingerprint',
  readerId: 'fp-1',
  direction,
  at: T + after,
  personId,
  score,
  threshold: 50,
});

interface Row {
  name: string;
  policy: CredentialPolicy;
  factors: PresentedFactor[];
  /** Default: the last factor's instant. */
  at?: number;
  ended?: boolean;
  expected: Partial<CredentialOutcome> & Pick<CredentialOutcome, 'status'>;
}

const denied = (reason: CredentialReason, extra: Record<string, unknown> = {}) => ({ status: 'denied' as const, reason, ...extra });

const rows: Row[] = [
  // Every policy, granted.
  {
    name: 'fingerprint: a matched finger',
    policy: 'fingerprint',
    factors: [finger()],
    expected: { status: 'identified', personId: 'alice', factors: ['fingerprint'], cardId: null },
  },
  {
    name: 'card: an active card',
    policy: 'card',
    factors: [card()],
    expected: { status: 'identified', personId: 'alice', factors: ['card'], cardId: 'c-alice' },
  },
  {
    name: 'card+pin: card then right PIN',
    policy: 'card+pin',
    factors: [card(), pin()],
    expected: { status: 'identified', personId: 'alice', factors: ['card', 'pin'], readerIds: ['osdp-1'] },
  },
  {
    name: 'card+fingerprint: card then finger at another reader of the door',
    policy: 'card+fingerprint',
    factors: [card(), finger(3 * S)],
    expected: { status: 'identified', personId: 'alice', factors: ['card', 'fingerprint'], cardId: 'c-alice', readerIds: ['osdp-1', 'fp-1'] },
  },
  {
    name: 'card+fingerprint: finger first, then card',
    policy: 'card+fingerprint',
    factors: [finger(), card(S)],
    expected: { status: 'identified', personId: 'alice' },
  },
  {
    name: 'fingerprint|card: a finger alone',
    policy: 'fingerprint|card',
    factors: [finger()],
    expected: { status: 'identified', personId: 'alice', factors: ['fingerprint'] },
  },
  {
    name: 'fingerprint|card: a card alone',
    policy: 'fingerprint|card',
    factors: [card()],
    expected: { status: 'identified', personId: 'alice', factors: ['card'] },
  },

  // Pending: the first factor of a two-factor policy.
  { name: 'card+pin: a card waits for the PIN', policy: 'card+pin', factors: [card()], expected: { status: 'pending', awaiting: ['pin'], until: T + W } },
  {
    name: 'card+fingerprint: a card waits for the finger',
    policy: 'card+fingerprint',
    factors: [card()],
    expected: { status: 'pending', awaiting: ['fingerprint'], until: T + W },
  },
  {
    name: 'card+fingerprint: a finger waits for the card',
    policy: 'card+fingerprint',
    factors: [finger()],
    expected: { status: 'pending', awaiting: ['card'], until: T + W },
  },

  // credential_not_allowed, every policy that refuses a kind.
  {
    name: 'credential_not_allowed: card at a fingerprint-only zone',
    policy: 'fingerprint',
    factors: [card()],
    expected: denied('credential_not_allowed', { personId: null, cardId: null }),
  },
  { name: 'credential_not_allowed: PIN at a fingerprint-only zone', policy: 'fingerprint', factors: [pin(0)], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed: finger at a card-only zone', policy: 'card', factors: [finger()], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed: PIN at a card-only zone', policy: 'card', factors: [pin(0)], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed: finger at card+pin', policy: 'card+pin', factors: [card(), finger(S)], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed: PIN at card+fingerprint', policy: 'card+fingerprint', factors: [card(), pin()], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed: PIN at fingerprint|card', policy: 'fingerprint|card', factors: [pin(0)], expected: denied('credential_not_allowed') },
  { name: 'credential_not_allowed beats an unknown card', policy: 'fingerprint', factors: [card(0, null)], expected: denied('credential_not_allowed') },

  // second_factor_missing / timeout.
  { name: 'second_factor_missing: a PIN with no card before it', policy: 'card+pin', factors: [pin(0)], expected: denied('second_factor_missing') },
  {
    name: 'second_factor_missing: a PIN first is not completed by a card after it',
    policy: 'card+pin',
    factors: [pin(0), card(S)],
    expected: denied('second_factor_missing'),
  },
  {
    name: 'second_factor_missing: the attempt was cancelled',
    policy: 'card+pin',
    factors: [card()],
    ended: true,
    expected: denied('second_factor_missing', { personId: null }),
  },
  { name: 'second_factor_timeout: decided again at the deadline', policy: 'card+pin', factors: [card()], at: T + W, expected: denied('second_factor_timeout') },
  { name: 'one ms before the deadline still waits', policy: 'card+pin', factors: [card()], at: T + W - 1, expected: { status: 'pending', until: T + W } },
  {
    name: 'second_factor_timeout: a PIN one window late is not counted',
    policy: 'card+pin',
    factors: [card(), pin(W)],
    expected: denied('second_factor_timeout'),
  },
  { name: 'a PIN 1 ms inside the window counts', policy: 'card+pin', factors: [card(), pin(W - 1)], expected: { status: 'identified', personId: 'alice' } },
  {
    name: 'second_factor_timeout: a late finger at card+fingerprint',
    policy: 'card+fingerprint',
    factors: [card(), finger(W + S)],
    expected: denied('second_factor_timeout'),
  },

  // Step 2 before 3-5: the first factor never ends a two-factor attempt by itself.
  {
    name: 'card+pin: an unknown card is asked for a PIN like any other',
    policy: 'card+pin',
    factors: [card(0, null)],
    expected: { status: 'pending', awaiting: ['pin'] },
  },
  {
    name: 'card+pin: a revoked card is asked for a PIN like any other',
    policy: 'card+pin',
    factors: [card(0, { ...aliceCard, state: 'revoked' })],
    expected: { status: 'pending' },
  },
  {
    name: 'card+fingerprint: an unknown finger waits for the card',
    policy: 'card+fingerprint',
    factors: [finger(0, null, null)],
    expected: { status: 'pending', awaiting: ['card'] },
  },
  {
    name: 'an unknown card times out, not card_unknown, without its PIN',
    policy: 'card+pin',
    factors: [card(0, null)],
    at: T + W,
    expected: denied('second_factor_timeout'),
  },

  // 3. The finger.
  { name: 'low_score: under the threshold', policy: 'fingerprint', factors: [finger(0, 'alice', 49)], expected: denied('low_score', { personId: null }) },
  { name: 'low_score: a match without a score', policy: 'fingerprint', factors: [finger(0, 'alice', null)], expected: denied('low_score') },
  { name: 'unknown_finger: nothing matched', policy: 'fingerprint', factors: [finger(0, null, null)], expected: denied('unknown_finger') },
  {
    name: 'unknown_finger at card+fingerprint, after the card',
    policy: 'card+fingerprint',
    factors: [card(), finger(S, null, null)],
    expected: denied('unknown_finger'),
  },
  {
    name: 'unknown_finger beats a revoked card',
    policy: 'card+fingerprint',
    factors: [card(0, { ...aliceCard, state: 'revoked' }), finger(S, null, null)],
    expected: denied('unknown_finger'),
  },

  // 4. The card.
  { name: 'card_unknown', policy: 'card', factors: [card(0, null)], expected: denied('card_unknown', { personId: null, cardId: null }) },
  {
    name: 'card_revoked names the card and its person',
    policy: 'card',
    factors: [card(0, { ...aliceCard, state: 'revoked' })],
    expected: denied('card_revoked', { personId: 'alice', cardId: 'c-alice' }),
  },
  { name: 'card_suspended', policy: 'card', factors: [card(0, { ...aliceCard, state: 'suspended' })], expected: denied('card_suspended') },
  { name: 'card_not_yet_valid', policy: 'card', factors: [card(0, { ...aliceCard, validFrom: T + 1 })], expected: denied('card_not_yet_valid') },
  { name: 'valid from exactly now', policy: 'card', factors: [card(0, { ...aliceCard, validFrom: T })], expected: { status: 'identified' } },
  { name: 'card_expired at the exact end', policy: 'card', factors: [card(0, { ...aliceCard, validUntil: T })], expected: denied('card_expired') },
  { name: 'valid until 1 ms later', policy: 'card', factors: [card(0, { ...aliceCard, validUntil: T + 1 })], expected: { status: 'identified' } },
  {
    name: 'card_revoked beats card_suspended-like validity',
    policy: 'card',
    factors: [card(0, { ...aliceCard, state: 'revoked', validUntil: T - 1 })],
    expected: denied('card_revoked'),
  },
  {
    name: 'card_suspended beats card_expired',
    policy: 'card',
    factors: [card(0, { ...aliceCard, state: 'suspended', validUntil: T - 1 })],
    expected: denied('card_suspended'),
  },
  {
    name: 'card validity is judged at the decision instant (the PIN), not the tap',
    policy: 'card+pin',
    factors: [card(0, { ...aliceCard, validUntil: T + S }), pin(2 * S)],
    expected: denied('card_expired'),
  },
  {
    name: 'card_unknown at card+pin, once the PIN is in',
    policy: 'card+pin',
    factors: [card(0, null), pin(2 * S, 'mismatch')],
    expected: denied('card_unknown'),
  },
  { name: 'fingerprint|card: an unknown card', policy: 'fingerprint|card', factors: [card(0, null)], expected: denied('card_unknown') },

  // 5. The PIN, after the card's own state.
  {
    name: 'pin_wrong names the card holder',
    policy: 'card+pin',
    factors: [card(), pin(S, 'mismatch')],
    expected: denied('pin_wrong', { personId: 'alice', cardId: 'c-alice' }),
  },
  { name: 'pin_locked', policy: 'card+pin', factors: [card(), pin(S, 'locked')], expected: denied('pin_locked') },
  {
    name: 'card_revoked beats a wrong PIN',
    policy: 'card+pin',
    factors: [card(0, { ...aliceCard, state: 'revoked' }), pin(S, 'mismatch')],
    expected: denied('card_revoked'),
  },
  {
    name: 'card_expired beats a locked PIN',
    policy: 'card+pin',
    factors: [card(0, { ...aliceCard, validUntil: T }), pin(S, 'locked')],
    expected: denied('card_expired'),
  },

  // 6. One person.
  {
    name: 'factor_mismatch: bob’s card with alice’s finger names nobody',
    policy: 'card+fingerprint',
    factors: [card(0, bobCard), finger(S)],
    expected: denied('factor_mismatch', { personId: null, cardId: 'c-bob' }),
  },
  {
    name: 'card_suspended beats factor_mismatch',
    policy: 'card+fingerprint',
    factors: [card(0, { ...bobCard, state: 'suspended' }), finger(S)],
    expected: denied('card_suspended'),
  },

  // Correlation: a repeated kind or the other side of the door starts a new attempt.
  {
    name: 'a second tap restarts the wait from the new card',
    policy: 'card+pin',
    factors: [card(0, bobCard), card(4 * S)],
    expected: { status: 'pending', until: T + 4 * S + W },
  },
  {
    name: 'after a re-tap, the PIN is checked against the newer card',
    policy: 'card+pin',
    factors: [card(0, bobCard), card(4 * S), pin(5 * S)],
    expected: { status: 'identified', personId: 'alice' },
  },
  {
    name: 'a finger on the exit side does not complete an entry card',
    policy: 'card+fingerprint',
    factors: [card(), finger(S, 'alice', 90, 'exit')],
    expected: { status: 'pending', awaiting: ['card'], until: T + S + W },
  },
];

describe('decideCredentials', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const at = row.at ?? row.factors[row.factors.length - 1]!.at;
    const outcome = decideCredentials({ policy: row.policy, factors: row.factors, at, ...(row.ended ? { ended: true } : {}) });
    expect(outcome).toMatchObject(row.expected);
  });

  it('covers every reason and every policy in the table', () => {
    const seen = new Set(rows.map((r) => ('reason' in r.expected ? r.expected.reason : undefined)));
    expect(CREDENTIAL_REASONS.filter((r) => !seen.has(r))).toEqual([]);
    expect(CREDENTIAL_POLICIES.filter((p) => !rows.some((r) => r.policy === p && r.expected.status === 'identified'))).toEqual([]);
    for (const reason of CREDENTIAL_REASONS) expect(CREDENTIAL_REASON_DESCRIPTIONS[reason].length).toBeGreaterThan(10);
  });

  it('takes a configurable window and refuses one outside its bounds', () => {
    expect(decideCredentials({ policy: 'card+pin', factors: [card()], at: T, windowMs: 20 * S })).toMatchObject({ status: 'pending', until: T + 20 * S });
    expect(decideCredentials({ policy: 'card+pin', factors: [card(), pin(15 * S)], at: T + 15 * S, windowMs: 20 * S })).toMatchObject({ status: 'identified' });
    expect(() => decideCredentials({ policy: 'card+pin', factors: [card()], at: T, windowMs: 500 })).toThrow(RangeError);
    expect(() => decideCredentials({ policy: 'card+pin', factors: [card()], at: T, windowMs: 10 * 60 * S })).toThrow(RangeError);
    expect(() => decideCredentials({ policy: 'card+pin', factors: [], at: T })).toThrow('no factor');
  });

  it('two-factor policies are the + ones', () => {
    expect(CREDENTIAL_POLICIES.filter(isTwoFactor)).toEqual(['card+pin', 'card+fingerprint']);
  });

  it('the current attempt starts at the last repeated kind or change of side', () => {
    expect(currentAttempt([card(0), pin(S), card(2 * S)])).toEqual([card(2 * S)]);
    expect(currentAttempt([finger(0, 'alice', 90, 'exit'), card(S)])).toEqual([card(S)]);
    expect(currentAttempt([card(0), finger(S)])).toHaveLength(2);
  });
});

describe('credentialPolicyFor', () => {
  it.each([
    ['no policy anywhere: fingerprint, as before issue 17', undefined, undefined, 'fingerprint'],
    ['the zone’s', 'card+pin', undefined, 'card+pin'],
    ['the door overrides the zone', 'card+pin', 'fingerprint|card', 'fingerprint|card'],
    ['a door policy with none on the zone', undefined, 'card', 'card'],
  ] as const)('%s', (_name, zonePolicy, doorPolicy, expected) => {
    const zone = zonePolicy ? { credentialPolicy: zonePolicy } : {};
    const door = doorPolicy ? { credentialPolicy: doorPolicy } : {};
    expect(credentialPolicyFor(zone, door)).toBe(expected);
  });
});

describe('decideCredentialAccess: the credential step, then evaluateAccess', () => {
  const snapshot = snapshotBuilder()
    .customer('acme', { serviceStart: instant('2026-01-01T00:00:00Z'), serviceEnd: T + 60 * S })
    .customer('globex')
    .person('alice', 'acme')
    .person('bob', 'acme', { status: 'suspended' })
    .person('carol', 'globex')
    .zone('hall')
    .zone('cage', { credentialPolicy: 'card+pin' })
    .door('d-hall', 'hall')
    .door('d-cage', 'cage')
    .door('d-cage-fp', 'cage', { credentialPolicy: 'fingerprint|card' })
    .accessLevel('everywhere', { zoneIds: ['hall', 'cage'] })
    .grant('g-acme', { accessLevelId: 'everywhere', customerId: 'acme' })
    .build();

  it.each([
    [
      'a zone without a policy stays fingerprint-only',
      'd-hall',
      [finger()],
      { status: 'granted', reason: 'granted', personId: 'alice', grantId: 'g-acme', until: T + 60 * S },
    ],
    ['a card at that zone is not allowed', 'd-hall', [card()], { status: 'denied', reason: 'credential_not_allowed' }],
    ['card+pin from the zone', 'd-cage', [card(), pin()], { status: 'granted', personId: 'alice', cardId: 'c-alice', factors: ['card', 'pin'] }],
    ['card+pin waits', 'd-cage', [card()], { status: 'pending', awaiting: ['pin'], until: T + W }],
    ['the door’s own policy overrides the zone', 'd-cage-fp', [card()], { status: 'granted', personId: 'alice' }],
    [
      'the suspended holder of an active card: the registry reason',
      'd-cage',
      [card(0, bobCard), pin()],
      { status: 'denied', reason: 'person_suspended', personId: 'bob', cardId: 'c-bob' },
    ],
    [
      'a person without a grant for the door',
      'd-cage',
      [card(0, { ...aliceCard, id: 'c-carol', personId: 'carol', customerId: 'globex' }), pin()],
      { status: 'denied', reason: 'no_grant_for_door', personId: 'carol' },
    ],
    [
      'a card whose customer is not its person’s fails closed',
      'd-cage',
      [card(0, { ...aliceCard, customerId: 'globex' }), pin()],
      { status: 'denied', reason: 'card_unknown', personId: null },
    ],
    ['an unknown door, before any factor', 'd-nowhere', [card(0, null)], { status: 'denied', reason: 'unknown_door', personId: null }],
  ] as const)('%s', (_name, doorId, factors, expected) => {
    const at = factors[factors.length - 1]!.at;
    expect(decideCredentialAccess({ snapshot, doorId, factors, at })).toMatchObject(expected);
  });

  it('after the service end the registry reason applies to the card holder', () => {
    const at = T + 60 * S;
    expect(decideCredentialAccess({ snapshot, doorId: 'd-cage', factors: [card(60 * S), pin(61 * S)], at: at + S })).toMatchObject({
      status: 'denied',
      reason: 'customer_service_ended',
      personId: 'alice',
    });
  });
});
