import { describe, expect, it } from '@jest/globals';
import {
  ACCESS_REASONS,
  BADGE_IN_DECISION_REASONS,
  BADGE_IN_ONLY_REASONS,
  GRANTING_REASONS,
  REASON_DESCRIPTIONS,
  REASON_FAMILIES,
  ZoneState,
  decideBadgeIn,
  indexSnapshot,
  type BadgeInAttempt,
  type BadgeInDecision,
  type BadgeInReason,
  type DoorConditions,
  type DoorEventKind,
  type RegistrySnapshot,
  type ZoneStateOptions,
} from '@acs/access-rules';
import { instant, snapshotBuilder, weekdays, type SnapshotBuilder } from '@acs/access-rules/testing';

// One site, Europe/Amsterdam. acme (alice, bob, dave) may go everywhere at all times; globex
// (carol) only into the hall. Zones: a plain hall, suites with hard and soft anti-passback, a
// mantrap (trap -> core, one interlock group) and a two-person cage with hard anti-passback.
const T = instant('2026-03-30T10:00:00+02:00'); // a Monday
const EVENING = instant('2026-03-30T19:00:00+02:00');
const LATER = instant('2026-04-15T00:00:00Z');
const EARLIER = instant('2026-03-01T00:00:00Z');
const S = 1000;

function base(): SnapshotBuilder {
  return snapshotBuilder()
    .customer('acme', { serviceStart: instant('2026-01-01T00:00:00Z') })
    .customer('globex', { serviceStart: instant('2026-01-01T00:00:00Z') })
    .person('alice', 'acme')
    .person('bob', 'acme')
    .person('dave', 'acme')
    .person('carol', 'globex')
    .zone('hall')
    .zone('suite-hard', { antiPassback: 'hard' })
    .zone('suite-soft', { antiPassback: 'soft' })
    .zone('trap', { interlockGroup: 'mt-1' })
    .zone('core', { interlockGroup: 'mt-1' })
    .zone('cage', { twoPersonWindowSeconds: 30, antiPassback: 'hard' })
    .door('d-hall', 'hall')
    .door('d-hard', 'suite-hard')
    .door('d-hard-2', 'suite-hard')
    .door('d-soft', 'suite-soft')
    .door('d-outer', 'trap')
    .door('d-inner', 'core')
    .door('d-cage', 'cage')
    .door('d-cage-2', 'cage')
    .schedule('office', { windows: weekdays('08:00', '18:00') })
    .accessLevel('everywhere', { zoneIds: ['hall', 'suite-hard', 'suite-soft', 'trap', 'core', 'cage'] })
    .accessLevel('hall-only', { zoneIds: ['hall'] })
    .grant('g-acme', { accessLevelId: 'everywhere', customerId: 'acme' })
    .grant('g-globex', { accessLevelId: 'hall-only', customerId: 'globex' });
}

function attempt(overrides: Partial<BadgeInAttempt> = {}): BadgeInAttempt {
  return {
    readerId: 'r-1',
    doorId: 'd-hall',
    direction: 'entry',
    personId: 'alice',
    score: 90,
    threshold: 50,
    at: T,
    ...overrides,
  };
}

/** A badge (decided, then applied to the state) or a door event, at T + `after` ms. */
type Step =
  | { badge: Partial<Omit<BadgeInAttempt, 'at'>>; after?: number; door?: Partial<DoorConditions>; expect?: Expected }
  | { event: DoorEventKind; doorId: string; after?: number };

type Expected = Pick<BadgeInDecision, 'granted' | 'reason'> & Partial<BadgeInDecision>;

interface Row {
  name: string;
  setup?: (b: SnapshotBuilder) => SnapshotBuilder;
  /** What happened before, through the same decide-then-apply loop the service runs. */
  before?: Step[];
  attempt?: Partial<BadgeInAttempt>;
  door?: Partial<DoorConditions>;
  options?: ZoneStateOptions;
  expected: Expected;
}

function play(snapshot: RegistrySnapshot, state: ZoneState, steps: readonly Step[], useIndex: boolean): BadgeInDecision[] {
  const index = useIndex ? indexSnapshot(snapshot) : undefined;
  const decisions: BadgeInDecision[] = [];
  for (const step of steps) {
    const at = T + (step.after ?? 0);
    if ('event' in step) {
      state.applyDoorEvent({ doorId: step.doorId, kind: step.event, at });
      continue;
    }
    const decision = decideBadgeIn({
      snapshot,
      index,
      attempt: attempt({ ...step.badge, at }),
      door: { controllerOnline: true, ...step.door },
      state,
    });
    state.applyDecision(decision);
    decisions.push(decision);
  }
  return decisions;
}

function run(row: Row, useIndex: boolean): { decision: BadgeInDecision; state: ZoneState } {
  const snapshot = (row.setup ? row.setup(base()) : base()).build();
  const state = new ZoneState(row.options);
  play(snapshot, state, row.before ?? [], useIndex);
  const decision = decideBadgeIn({
    snapshot,
    index: useIndex ? indexSnapshot(snapshot) : undefined,
    attempt: attempt(row.attempt),
    door: { controllerOnline: true, ...row.door },
    state,
  });
  return { decision, state };
}

const alice = (after: number, doorId: string, direction: 'entry' | 'exit' = 'entry'): Step => ({
  badge: { personId: 'alice', doorId, direction },
  after,
});

// Every reason code once, and the check order where two apply at once.
const reasonRows: Row[] = [
  {
    name: 'granted: plain door, no zone rules',
    expected: {
      granted: true,
      reason: 'granted',
      violations: [],
      personId: 'alice',
      customerId: 'acme',
      siteId: 'site-1',
      zoneId: 'hall',
      grantId: 'g-acme',
      accessLevelId: 'everywhere',
    },
  },
  {
    name: 'two_person_granted: second distinct person within the window opens for both',
    before: [alice(0, 'd-cage')],
    attempt: { personId: 'bob', doorId: 'd-cage', at: T + 10 * S },
    expected: { granted: true, reason: 'two_person_granted', personId: 'bob', companionPersonId: 'alice', violations: [] },
  },
  {
    name: 'emergency_release: identified person passes, even suspended',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    door: { mode: 'emergency_release' },
    expected: { granted: true, reason: 'emergency_release', personId: 'alice', customerId: 'acme' },
  },
  {
    name: "unknown_door: the reader's door is not in the registry",
    attempt: { doorId: 'd-nowhere' },
    expected: { granted: false, reason: 'unknown_door', siteId: null, zoneId: null, personId: 'alice', customerId: 'acme' },
  },
  {
    name: "unknown_door: the door's zone is missing",
    setup: (b) => b.remove('zones', 'hall'),
    expected: { granted: false, reason: 'unknown_door', zoneId: null },
  },
  {
    name: 'unknown_door beats an unknown finger',
    attempt: { doorId: 'd-nowhere', personId: null, score: null },
    expected: { granted: false, reason: 'unknown_door', personId: null },
  },
  // The credential step (credentials.ts) hands over a denial or an identified person (issue 17).
  ...(
    [
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
    ] as const
  ).map((reason): Row => ({
    name: `${reason}: the credential step's denial is the answer, attributed to whom it named`,
    attempt: { credentialDenial: reason, score: null },
    expected: { granted: false, reason, personId: 'alice', customerId: 'acme', zoneId: 'hall' },
  })),
  {
    name: 'a credential denial naming nobody is attributed to nobody',
    attempt: { credentialDenial: 'card_unknown', personId: null, score: null },
    expected: { granted: false, reason: 'card_unknown', personId: null, customerId: null },
  },
  {
    name: 'unknown_door beats a credential denial',
    attempt: { doorId: 'd-nowhere', credentialDenial: 'pin_wrong', score: null },
    expected: { granted: false, reason: 'unknown_door' },
  },
  {
    name: 'a credential denial beats emergency release (no one was identified)',
    door: { mode: 'emergency_release' },
    attempt: { credentialDenial: 'card_revoked', score: null },
    expected: { granted: false, reason: 'card_revoked' },
  },
  {
    name: 'identified by a card: granted without any score',
    attempt: { identifiedBy: ['card'], score: null },
    expected: { granted: true, reason: 'granted', personId: 'alice', customerId: 'acme' },
  },
  {
    name: 'identified by card + PIN, then the registry still decides (suspended)',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    attempt: { identifiedBy: ['card', 'pin'], score: null },
    expected: { granted: false, reason: 'person_suspended', personId: 'alice' },
  },
  {
    name: 'low_score: a match under the threshold is no match, and names nobody',
    attempt: { score: 49 },
    expected: { granted: false, reason: 'low_score', personId: null, customerId: null },
  },
  {
    name: 'low_score: a match without a score never passes',
    attempt: { score: null },
    expected: { granted: false, reason: 'low_score', personId: null },
  },
  {
    name: 'score exactly at the threshold matches',
    attempt: { score: 50 },
    expected: { granted: true, reason: 'granted' },
  },
  {
    name: 'unknown_finger: nothing found',
    attempt: { personId: null, score: null },
    expected: { granted: false, reason: 'unknown_finger', personId: null, zoneId: 'hall', siteId: 'site-1' },
  },
  {
    name: 'unknown_finger: a good score on a slot that maps to nobody',
    attempt: { personId: null, score: 95 },
    expected: { granted: false, reason: 'unknown_finger', personId: null },
  },
  {
    name: 'low_score beats emergency release: nobody to attribute the passage to',
    attempt: { score: 10 },
    door: { mode: 'emergency_release' },
    expected: { granted: false, reason: 'low_score' },
  },
  {
    name: 'unknown_person: the slot maps to a person no longer in the registry',
    attempt: { personId: 'mallory' },
    expected: { granted: false, reason: 'unknown_person', personId: 'mallory', customerId: null },
  },
  {
    name: 'customer_purged',
    setup: (b) => b.patch('customers', 'acme', { purgedAt: EARLIER }),
    expected: { granted: false, reason: 'customer_purged' },
  },
  {
    name: 'customer_not_started, with until = service start',
    setup: (b) => b.patch('customers', 'acme', { serviceStart: LATER }),
    expected: { granted: false, reason: 'customer_not_started', until: LATER },
  },
  {
    name: 'customer_service_ended at the exact end instant',
    setup: (b) => b.patch('customers', 'acme', { serviceEnd: T }),
    expected: { granted: false, reason: 'customer_service_ended' },
  },
  {
    name: 'one millisecond before the end of service: granted until the end',
    setup: (b) => b.patch('customers', 'acme', { serviceEnd: T + 1 }),
    expected: { granted: true, reason: 'granted', until: T + 1 },
  },
  {
    name: 'person_suspended',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    expected: { granted: false, reason: 'person_suspended', personId: 'alice', customerId: 'acme' },
  },
  {
    name: 'person_restricted',
    setup: (b) => b.patch('persons', 'alice', { status: 'restricted' }),
    expected: { granted: false, reason: 'person_restricted' },
  },
  {
    name: 'person_not_yet_valid',
    setup: (b) => b.patch('persons', 'alice', { validFrom: LATER }),
    expected: { granted: false, reason: 'person_not_yet_valid', until: LATER },
  },
  {
    name: 'person_expired',
    setup: (b) => b.patch('persons', 'alice', { validUntil: EARLIER }),
    expected: { granted: false, reason: 'person_expired' },
  },
  {
    name: 'zone_lockdown',
    setup: (b) => b.patch('zones', 'hall', { lockdown: true }),
    expected: { granted: false, reason: 'zone_lockdown' },
  },
  {
    name: 'zone_lockdown applies to exits too',
    setup: (b) => b.patch('zones', 'hall', { lockdown: true }),
    attempt: { direction: 'exit' },
    expected: { granted: false, reason: 'zone_lockdown' },
  },
  {
    name: 'emergency release beats lockdown',
    setup: (b) => b.patch('zones', 'hall', { lockdown: true }),
    door: { mode: 'emergency_release' },
    expected: { granted: true, reason: 'emergency_release' },
  },
  {
    name: 'emergency release needs no controller: the door is already released',
    door: { mode: 'emergency_release', controllerOnline: false },
    expected: { granted: true, reason: 'emergency_release' },
  },
  {
    name: 'no_grant_for_door',
    attempt: { personId: 'carol', doorId: 'd-hard' },
    expected: { granted: false, reason: 'no_grant_for_door', personId: 'carol', customerId: 'globex' },
  },
  {
    name: 'grant_not_yet_valid',
    setup: (b) => b.patch('grants', 'g-acme', { validFrom: LATER }),
    expected: { granted: false, reason: 'grant_not_yet_valid', grantId: 'g-acme', until: LATER },
  },
  {
    name: 'grant_expired',
    setup: (b) => b.patch('grants', 'g-acme', { validUntil: EARLIER }),
    expected: { granted: false, reason: 'grant_expired', grantId: 'g-acme' },
  },
  {
    name: 'outside_schedule',
    setup: (b) => b.patch('accessLevels', 'everywhere', { scheduleId: 'office' }),
    attempt: { at: EVENING },
    expected: { granted: false, reason: 'outside_schedule', grantId: 'g-acme', accessLevelId: 'everywhere' },
  },
  {
    name: 'door_locked by an operator',
    door: { mode: 'locked' },
    expected: { granted: false, reason: 'door_locked' },
  },
  {
    name: 'a registry denial beats door_locked',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    door: { mode: 'locked' },
    expected: { granted: false, reason: 'person_suspended' },
  },
  {
    name: 'anti_passback (hard): second entry without an exit',
    before: [alice(0, 'd-hard')],
    attempt: { doorId: 'd-hard', at: T + 60 * S },
    expected: { granted: false, reason: 'anti_passback', violations: [] },
  },
  {
    name: 'door_locked beats anti_passback',
    before: [alice(0, 'd-hard')],
    attempt: { doorId: 'd-hard', at: T + 60 * S },
    door: { mode: 'locked' },
    expected: { granted: false, reason: 'door_locked' },
  },
  {
    name: 'controller_offline: authorised but the door cannot be opened',
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'controller_offline', personId: 'alice', grantId: 'g-acme' },
  },
  {
    name: 'a registry denial beats controller_offline',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'person_suspended' },
  },
  {
    name: 'hard anti_passback beats controller_offline',
    before: [alice(0, 'd-hard')],
    attempt: { doorId: 'd-hard', at: T + 60 * S },
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'anti_passback' },
  },
  {
    name: 'a soft violation stays visible on a controller_offline denial',
    before: [alice(0, 'd-soft')],
    attempt: { doorId: 'd-soft', at: T + 60 * S },
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'controller_offline', violations: ['anti_passback'] },
  },
  {
    name: 'interlock_busy: the other door of the mantrap is open',
    before: [{ event: 'opened', doorId: 'd-outer' }],
    attempt: { doorId: 'd-inner', at: T + S },
    expected: { granted: false, reason: 'interlock_busy' },
  },
  {
    name: 'controller_offline beats interlock_busy',
    before: [{ event: 'opened', doorId: 'd-outer' }],
    attempt: { doorId: 'd-inner', at: T + S },
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'controller_offline' },
  },
  {
    name: 'two_person_pending: the first person waits, with the end of the wait',
    attempt: { doorId: 'd-cage' },
    expected: { granted: false, reason: 'two_person_pending', personId: 'alice', pendingUntil: T + 30 * S, violations: [] },
  },
  {
    name: 'controller_offline beats two_person_pending (nobody starts waiting at a dead door)',
    attempt: { doorId: 'd-cage' },
    door: { controllerOnline: false },
    expected: { granted: false, reason: 'controller_offline' },
  },
];

describe('decideBadgeIn: reasons and check order', () => {
  it.each(reasonRows)('$name', (row) => {
    const { decision } = run(row, true);
    expect(decision).toMatchObject(row.expected);
    // Granted answers and only they carry a granting reason.
    expect((GRANTING_REASONS as readonly string[]).includes(decision.reason)).toBe(decision.granted);
  });

  it.each(reasonRows)('same decision without the index: $name', (row) => {
    expect(run(row, false).decision).toEqual(run(row, true).decision);
  });

  it('refuses an index of another snapshot', () => {
    const input = { attempt: attempt({ personId: null, score: null }), door: { controllerOnline: true }, state: new ZoneState() };
    expect(() => decideBadgeIn({ ...input, snapshot: base().build(), index: indexSnapshot(base().build()) })).toThrow(/another snapshot/);
  });

  it('deciding changes nothing: the same question twice gets the same answer', () => {
    const snapshot = base().build();
    const state = new ZoneState();
    const input = { snapshot, attempt: attempt({ doorId: 'd-cage' }), door: { controllerOnline: true }, state };
    const first = decideBadgeIn(input);
    expect(decideBadgeIn(input)).toEqual(first);
    expect(state.pendingAt('d-cage', T)).toBeUndefined();
  });

  it('echoes the attempt', () => {
    const { decision } = run({ name: '', attempt: { readerId: 'r-9', direction: 'exit', at: T + 5 }, expected: { granted: true, reason: 'granted' } }, true);
    expect(decision).toMatchObject({ readerId: 'r-9', doorId: 'd-hall', direction: 'exit', at: T + 5 });
  });
});

/** A sequence of badges at doors of one zone, each with its expected outcome. */
interface Scenario {
  name: string;
  setup?: (b: SnapshotBuilder) => SnapshotBuilder;
  options?: ZoneStateOptions;
  steps: Step[];
}

function expectScenario(s: Scenario): void {
  const snapshot = (s.setup ? s.setup(base()) : base()).build();
  const decisions = play(snapshot, new ZoneState(s.options), s.steps, true);
  const badges = s.steps.filter((step) => 'badge' in step);
  const got = decisions.map((d, i) => {
    const want = badges[i].expect;
    if (!want) return undefined;
    // Compare only the expected fields, but all of them in one go for a readable failure.
    const picked: Record<string, unknown> = {};
    for (const key of Object.keys(want)) picked[key] = d[key as keyof BadgeInDecision];
    return picked;
  });
  expect(got).toEqual(badges.map((b) => b.expect));
}

const ok: Expected = { granted: true, reason: 'granted', violations: [] };
const flagged: Expected = { granted: true, reason: 'granted', violations: ['anti_passback'] };
const apbDenied: Expected = { granted: false, reason: 'anti_passback' };
const step = (doorId: string, direction: 'entry' | 'exit', expectation: Expected, after = 0, personId = 'alice'): Step => ({
  badge: { personId, doorId, direction },
  after,
  expect: expectation,
});
const MIN = 60 * S;

const antiPassback: Scenario[] = [
  { name: 'hard: entry twice without exit -> denied', steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', apbDenied, MIN)] },
  { name: 'soft: entry twice without exit -> granted and flagged', steps: [step('d-soft', 'entry', ok), step('d-soft', 'entry', flagged, MIN)] },
  {
    name: 'hard: entry, exit, entry -> all granted',
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'exit', ok, MIN), step('d-hard', 'entry', ok, 2 * MIN)],
  },
  {
    name: 'hard: exit first (presence unknown), then entry -> granted',
    steps: [step('d-hard', 'exit', ok), step('d-hard', 'entry', ok, MIN)],
  },
  { name: 'hard: exit twice without entry -> denied', steps: [step('d-hard', 'exit', ok), step('d-hard', 'exit', apbDenied, MIN)] },
  { name: 'soft: exit twice without entry -> flagged', steps: [step('d-soft', 'exit', ok), step('d-soft', 'exit', flagged, MIN)] },
  {
    name: 'off: entries and exits in any order, never flagged (exit reader on a door without APB)',
    steps: [step('d-hall', 'entry', ok), step('d-hall', 'entry', ok, MIN), step('d-hall', 'exit', ok, 2 * MIN), step('d-hall', 'exit', ok, 3 * MIN)],
  },
  {
    name: 'hard: a denied entry does not move the person; the exit still works',
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', apbDenied, MIN), step('d-hard', 'exit', ok, 2 * MIN), step('d-hard', 'entry', ok, 3 * MIN)],
  },
  {
    name: 'soft: a flagged entry still records the person inside',
    steps: [step('d-soft', 'entry', ok), step('d-soft', 'entry', flagged, MIN), step('d-soft', 'exit', ok, 2 * MIN)],
  },
  {
    name: 'hard: the zone counts, not the door: entry at one door, entry at another door of the zone',
    steps: [step('d-hard', 'entry', ok), step('d-hard-2', 'entry', apbDenied, MIN), step('d-hard-2', 'exit', ok, 2 * MIN)],
  },
  {
    name: 'hard: zones are independent',
    steps: [step('d-hard', 'entry', ok), step('d-soft', 'entry', ok, MIN), step('d-hall', 'entry', ok, 2 * MIN)],
  },
  {
    name: 'hard: people are independent',
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', ok, MIN, 'bob'), step('d-hard', 'entry', apbDenied, 2 * MIN, 'bob')],
  },
  {
    name: 'hard, reset after 60 min: denied one ms before, forgiven at the reset',
    options: { antiPassbackResetMinutes: 60 },
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', apbDenied, 60 * MIN - 1), step('d-hard', 'entry', ok, 60 * MIN)],
  },
  {
    name: 'hard, reset 0 = never: still denied a week later',
    options: { antiPassbackResetMinutes: 0 },
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', apbDenied, 7 * 24 * 60 * MIN)],
  },
  {
    name: 'hard, default reset (a day): denied after 23 h, forgiven after 24 h',
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', apbDenied, 23 * 60 * MIN), step('d-hard', 'entry', ok, 24 * 60 * MIN)],
  },
  {
    name: 'hard: a registry denial wins over the violation and does not move anyone',
    setup: (b) => b.patch('persons', 'alice', { validUntil: T + MIN }),
    steps: [step('d-hard', 'entry', ok), step('d-hard', 'entry', { granted: false, reason: 'person_expired' }, MIN)],
  },
];

describe('decideBadgeIn: anti-passback with entry and exit readers', () => {
  it.each(antiPassback)('$name', (s) => expectScenario(s));
});

const busy: Expected = { granted: false, reason: 'interlock_busy' };
const ev = (event: DoorEventKind, doorId: string, after: number): Step => ({ event, doorId, after });

const interlock: Scenario[] = [
  { name: 'outer open -> inner denied', steps: [ev('opened', 'd-outer', 0), step('d-inner', 'entry', busy, S)] },
  {
    name: 'outer opened and closed -> inner granted',
    steps: [ev('opened', 'd-outer', 0), ev('closed', 'd-outer', S), step('d-inner', 'entry', ok, 2 * S)],
  },
  {
    name: 'works both ways: inner open -> outer denied, also for exits',
    steps: [ev('opened', 'd-inner', 0), step('d-outer', 'entry', busy, S), step('d-outer', 'exit', busy, S)],
  },
  {
    name: 'outer relay unlocked -> inner denied; relocked -> granted',
    steps: [ev('unlocked', 'd-outer', 0), step('d-inner', 'entry', busy, S), ev('locked', 'd-outer', 2 * S), step('d-inner', 'entry', ok, 3 * S)],
  },
  {
    name: 'a grant at the outer door blocks the inner one while its unlock is in flight',
    steps: [step('d-outer', 'entry', ok), step('d-inner', 'entry', busy, S, 'bob')],
  },
  {
    name: 'a grant nobody confirms blocks only for the grace period (15 s)',
    steps: [step('d-outer', 'entry', ok), step('d-inner', 'entry', busy, 15 * S - 1, 'bob'), step('d-inner', 'entry', ok, 15 * S, 'bob')],
  },
  {
    name: 'a shorter grace period is honoured',
    options: { unlockGraceMs: 2 * S },
    steps: [step('d-outer', 'entry', ok), step('d-inner', 'entry', ok, 2 * S, 'bob')],
  },
  {
    name: 'a full cycle confirmed by the controller frees the group before the grace period',
    steps: [
      step('d-outer', 'entry', ok),
      ev('unlocked', 'd-outer', 100),
      ev('opened', 'd-outer', S),
      step('d-inner', 'entry', busy, 2 * S, 'bob'),
      ev('closed', 'd-outer', 3 * S),
      ev('locked', 'd-outer', 4 * S),
      step('d-inner', 'entry', ok, 5 * S, 'bob'),
    ],
  },
  {
    name: 'a redelivered old "opened" does not reopen a closed door',
    steps: [ev('opened', 'd-outer', 0), ev('closed', 'd-outer', S), ev('opened', 'd-outer', 0), step('d-inner', 'entry', ok, 2 * S)],
  },
  { name: "the door's own state does not block it", steps: [ev('opened', 'd-inner', 0), step('d-inner', 'entry', ok, S)] },
  {
    name: 'doors outside the group do not matter',
    steps: [ev('opened', 'd-hall', 0), ev('unlocked', 'd-cage', 0), step('d-inner', 'entry', ok, S)],
  },
];

describe('decideBadgeIn: interlock (mantrap)', () => {
  it.each(interlock)('$name', (s) => expectScenario(s));
});

const pending = (after: number): Expected => ({ granted: false, reason: 'two_person_pending', pendingUntil: T + after + 30 * S });
const pairGranted = (companion: string): Expected => ({ granted: true, reason: 'two_person_granted', companionPersonId: companion });

const twoPerson: Scenario[] = [
  { name: 'first person alone: denied, waiting 30 s', steps: [step('d-cage', 'entry', pending(0))] },
  {
    name: 'second distinct person within the window: granted for both',
    steps: [step('d-cage', 'entry', pending(0)), step('d-cage', 'entry', pairGranted('alice'), 29 * S, 'bob')],
  },
  {
    name: 'the same person twice does not count (and restarts the wait)',
    steps: [
      step('d-cage', 'entry', pending(0)),
      step('d-cage', 'entry', pending(20 * S), 20 * S),
      step('d-cage', 'entry', pairGranted('alice'), 45 * S, 'bob'),
    ],
  },
  {
    name: 'after the window the first expires: the second becomes a new first',
    steps: [step('d-cage', 'entry', pending(0)), step('d-cage', 'entry', pending(30 * S), 30 * S, 'bob')],
  },
  {
    name: 'the pair is used up: a third person starts a new wait',
    steps: [
      step('d-cage', 'entry', pending(0)),
      step('d-cage', 'entry', pairGranted('alice'), S, 'bob'),
      step('d-cage', 'entry', pending(2 * S), 2 * S, 'dave'),
    ],
  },
  {
    name: 'the two must be at the same door',
    steps: [step('d-cage', 'entry', pending(0)), step('d-cage-2', 'entry', pending(S), S, 'bob')],
  },
  {
    name: 'an unauthorised second person does not complete the pair; the wait goes on',
    steps: [
      step('d-cage', 'entry', pending(0)),
      step('d-cage', 'entry', { granted: false, reason: 'no_grant_for_door' }, S, 'carol'),
      step('d-cage', 'entry', pairGranted('alice'), 2 * S, 'bob'),
    ],
  },
  {
    name: 'a first person whose access ended meanwhile is no companion',
    setup: (b) => b.patch('persons', 'alice', { validUntil: T + 5 * S }),
    steps: [step('d-cage', 'entry', pending(0)), step('d-cage', 'entry', pending(10 * S), 10 * S, 'bob')],
  },
  {
    name: 'both are inside afterwards (hard anti-passback of the cage)',
    steps: [
      step('d-cage', 'entry', pending(0)),
      step('d-cage', 'entry', pairGranted('alice'), S, 'bob'),
      step('d-cage', 'entry', apbDenied, MIN, 'alice'),
      step('d-cage', 'entry', apbDenied, MIN, 'bob'),
      step('d-cage', 'exit', ok, 2 * MIN, 'alice'),
    ],
  },
  {
    name: 'leaving needs no second person',
    steps: [step('d-cage', 'exit', ok)],
  },
];

describe('decideBadgeIn: two-person rule', () => {
  it.each(twoPerson)('$name', (s) => expectScenario(s));
});

// Escorted visitors: vic (acme) must be escorted by alice; the hall has no two-person rule, the cage a 30 s one.
const visitor = (b: SnapshotBuilder) => b.person('vic', 'acme', { escortedBy: 'alice' });
const escortPending = (after: number, window = 30): Expected => ({ granted: false, reason: 'escort_pending', pendingUntil: T + after + window * S });
const escorted = (companion?: string): Expected =>
  companion === undefined
    ? { granted: true, reason: 'escorted', companionPersonId: undefined }
    : { granted: true, reason: 'escorted', companionPersonId: companion };

const escort: Scenario[] = [
  {
    name: 'a visitor alone waits for the host (default 30 s where the zone has no window)',
    setup: visitor,
    steps: [step('d-hall', 'entry', escortPending(0), 0, 'vic')],
  },
  {
    name: 'visitor first, host within the window: the host gets escorted, the visitor passes with them',
    setup: visitor,
    steps: [step('d-hall', 'entry', escortPending(0), 0, 'vic'), step('d-hall', 'entry', escorted('vic'), 29 * S, 'alice')],
  },
  {
    name: 'host first, visitor within the window: escorted',
    setup: visitor,
    steps: [step('d-hall', 'entry', ok, 0, 'alice'), step('d-hall', 'entry', escorted(), 29 * S, 'vic')],
  },
  {
    name: 'host first, visitor too late: waits again',
    setup: visitor,
    steps: [step('d-hall', 'entry', ok, 0, 'alice'), step('d-hall', 'entry', escortPending(30 * S), 30 * S, 'vic')],
  },
  {
    name: 'the host at another door does not count',
    setup: (b) => visitor(b).door('d-hall-2', 'hall'),
    steps: [step('d-hall-2', 'entry', ok, 0, 'alice'), step('d-hall', 'entry', escortPending(S), S, 'vic')],
  },
  {
    name: 'someone else than the host never completes the pair; the visitor keeps waiting for the host',
    setup: visitor,
    steps: [
      step('d-hall', 'entry', escortPending(0), 0, 'vic'),
      step('d-hall', 'entry', ok, S, 'bob'),
      step('d-hall', 'entry', escorted('vic'), 2 * S, 'alice'),
    ],
  },
  {
    name: 'the host leaving does not take the visitor in',
    setup: visitor,
    steps: [step('d-hall', 'exit', ok, 0, 'alice'), step('d-hall', 'entry', escortPending(S), S, 'vic')],
  },
  {
    name: 'a visitor leaves without the host',
    setup: visitor,
    steps: [step('d-hall', 'exit', ok, 0, 'vic')],
  },
  {
    name: 'a host without access to the door cannot take the visitor in',
    setup: (b) => visitor(b).person('vic', 'acme', { escortedBy: 'carol' }),
    steps: [step('d-cage', 'entry', { granted: false, reason: 'no_grant_for_door' }, 0, 'carol'), step('d-hall', 'entry', escortPending(S), S, 'vic')],
  },
  {
    name: "the visitor's own access ends at the window end: no escort helps after it",
    setup: (b) => visitor(b).patch('persons', 'vic', { validUntil: T + MIN }),
    steps: [step('d-hall', 'entry', ok, MIN, 'alice'), step('d-hall', 'entry', { granted: false, reason: 'person_expired' }, MIN + S, 'vic')],
  },
  {
    name: 'two-person zone: visitor then host on one unlock (escorted)',
    setup: visitor,
    steps: [step('d-cage', 'entry', escortPending(0), 0, 'vic'), step('d-cage', 'entry', escorted('vic'), 10 * S, 'alice')],
  },
  {
    name: 'two-person zone: host waiting, visitor completes the pair (escorted, the host as companion)',
    setup: visitor,
    steps: [step('d-cage', 'entry', pending(0)), step('d-cage', 'entry', escorted('alice'), 10 * S, 'vic')],
  },
  {
    name: "two-person zone: another person does not pair with someone else's visitor (starts a wait of their own)",
    setup: visitor,
    steps: [step('d-cage', 'entry', escortPending(0), 0, 'vic'), step('d-cage', 'entry', pending(S), S, 'bob')],
  },
  {
    name: 'two-person zone: a host who already went through alone does not let the visitor in later',
    setup: visitor,
    steps: [
      step('d-cage', 'entry', pending(0), 0, 'bob'),
      step('d-cage', 'entry', pairGranted('bob'), S, 'alice'),
      step('d-cage', 'entry', escortPending(2 * S), 2 * S, 'vic'),
    ],
  },
  {
    name: 'a visitor whose customer lets visitors walk alone is an ordinary person',
    setup: (b) => b.person('vic', 'acme', { escortedBy: null }),
    steps: [step('d-hall', 'entry', ok, 0, 'vic')],
  },
];

describe('decideBadgeIn: escorted visitors', () => {
  it.each(escort)('$name', (s) => expectScenario(s));
});

describe('reason list', () => {
  const tables: Expected[] = [
    ...reasonRows.map((r) => r.expected),
    ...[...antiPassback, ...interlock, ...twoPerson, ...escort].flatMap((s) => s.steps.flatMap((st) => ('badge' in st && st.expect ? [st.expect] : []))),
  ];

  it('every documented reason is produced by some row of the tables above', () => {
    const seen = new Set<BadgeInReason>(tables.map((e) => e.reason));
    expect(BADGE_IN_DECISION_REASONS.filter((r) => !seen.has(r))).toEqual([]);
  });

  it('is the registry reasons plus the badge-in ones, each once', () => {
    expect([...BADGE_IN_DECISION_REASONS].sort()).toEqual([...ACCESS_REASONS, ...BADGE_IN_ONLY_REASONS].sort());
    expect(new Set(BADGE_IN_DECISION_REASONS).size).toBe(BADGE_IN_DECISION_REASONS.length);
  });

  it('describes and classifies every reason, and nothing else', () => {
    expect(Object.keys(REASON_DESCRIPTIONS).sort()).toEqual([...BADGE_IN_DECISION_REASONS].sort());
    expect(Object.keys(REASON_FAMILIES).sort()).toEqual([...BADGE_IN_DECISION_REASONS].sort());
    for (const text of Object.values(REASON_DESCRIPTIONS)) expect(text).toMatch(/^\S.{9,}$/);
  });

  it('codes look like the access log expects', () => {
    for (const reason of BADGE_IN_DECISION_REASONS) expect(reason).toMatch(/^[a-z][a-z0-9_]{0,47}$/);
  });

  it('the granting reasons are exactly those of granted rows', () => {
    const granting = new Set(tables.filter((e) => e.granted).map((e) => e.reason));
    expect([...granting].sort()).toEqual([...GRANTING_REASONS].sort());
  });
});
