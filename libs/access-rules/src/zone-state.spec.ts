import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_UNLOCK_GRACE_MS,
  ZoneState,
  type BadgeInDecision,
  type DoorEvent,
  type DoorStatus,
  type PresenceSide,
  type ZoneStateOptions,
} from '@acs/access-rules';
import { instant } from '@acs/access-rules/testing';

const T = instant('2026-03-30T10:00:00+02:00');
const S = 1000;
const MIN = 60 * S;

function decision(overrides: Partial<BadgeInDecision>): BadgeInDecision {
  return {
    granted: true,
    reason: 'granted',
    violations: [],
    readerId: 'r-1',
    doorId: 'd1',
    direction: 'entry',
    at: T,
    personId: 'alice',
    customerId: 'acme',
    siteId: 'site-1',
    zoneId: 'z1',
    ...overrides,
  };
}

interface PresenceRow {
  name: string;
  options?: ZoneStateOptions;
  decisions: Array<Partial<BadgeInDecision>>;
  /** Asked at T + after. */
  ask: { personId: string; zoneId: string; after: number };
  expected: PresenceSide | undefined;
}

const presenceRows: PresenceRow[] = [
  { name: 'nobody seen: unknown', decisions: [], ask: { personId: 'alice', zoneId: 'z1', after: 0 }, expected: undefined },
  { name: 'granted entry: inside', decisions: [{}], ask: { personId: 'alice', zoneId: 'z1', after: S }, expected: 'inside' },
  {
    name: 'granted exit: outside',
    decisions: [{}, { direction: 'exit', at: T + S }],
    ask: { personId: 'alice', zoneId: 'z1', after: 2 * S },
    expected: 'outside',
  },
  {
    name: 'a soft-flagged grant still counts',
    decisions: [{ violations: ['anti_passback'] }],
    ask: { personId: 'alice', zoneId: 'z1', after: S },
    expected: 'inside',
  },
  {
    name: 'a denied entry does not count',
    decisions: [{ granted: false, reason: 'anti_passback' }],
    ask: { personId: 'alice', zoneId: 'z1', after: S },
    expected: undefined,
  },
  {
    name: 'a pending two-person entry does not count',
    decisions: [{ granted: false, reason: 'two_person_pending', pendingUntil: T + 30 * S }],
    ask: { personId: 'alice', zoneId: 'z1', after: S },
    expected: undefined,
  },
  {
    name: 'the companion of a two-person entry is inside too',
    decisions: [{ personId: 'bob', reason: 'two_person_granted', companionPersonId: 'alice' }],
    ask: { personId: 'alice', zoneId: 'z1', after: S },
    expected: 'inside',
  },
  {
    name: 'an emergency-release passage counts',
    decisions: [{ reason: 'emergency_release' }],
    ask: { personId: 'alice', zoneId: 'z1', after: S },
    expected: 'inside',
  },
  {
    name: 'per zone: another zone is unknown',
    decisions: [{}],
    ask: { personId: 'alice', zoneId: 'z2', after: S },
    expected: undefined,
  },
  {
    name: 'per person: another person is unknown',
    decisions: [{}],
    ask: { personId: 'bob', zoneId: 'z1', after: S },
    expected: undefined,
  },
  {
    name: 'reset 30 min: remembered until one ms before',
    options: { antiPassbackResetMinutes: 30 },
    decisions: [{}],
    ask: { personId: 'alice', zoneId: 'z1', after: 30 * MIN - 1 },
    expected: 'inside',
  },
  {
    name: 'reset 30 min: forgotten at the reset instant',
    options: { antiPassbackResetMinutes: 30 },
    decisions: [{}],
    ask: { personId: 'alice', zoneId: 'z1', after: 30 * MIN },
    expected: undefined,
  },
  {
    name: 'reset counts from the latest passage',
    options: { antiPassbackResetMinutes: 30 },
    decisions: [{}, { direction: 'exit', at: T + 20 * MIN }],
    ask: { personId: 'alice', zoneId: 'z1', after: 40 * MIN },
    expected: 'outside',
  },
  {
    name: 'reset 0: never forgotten',
    options: { antiPassbackResetMinutes: 0 },
    decisions: [{}],
    ask: { personId: 'alice', zoneId: 'z1', after: 365 * 24 * 60 * MIN },
    expected: 'inside',
  },
];

describe('ZoneState: anti-passback presence', () => {
  it.each(presenceRows)('$name', (row) => {
    const state = new ZoneState(row.options);
    for (const d of row.decisions) state.applyDecision(decision(d));
    expect(state.presenceOf(row.ask.personId, row.ask.zoneId, T + row.ask.after)).toBe(row.expected);
  });

  it('staff forgiveness for one zone, then for all zones', () => {
    const state = new ZoneState();
    state.applyDecision(decision({}));
    state.applyDecision(decision({ zoneId: 'z2' }));
    state.forgiveAntiPassback('alice', 'z1');
    expect([state.presenceOf('alice', 'z1', T), state.presenceOf('alice', 'z2', T)]).toEqual([undefined, 'inside']);
    state.forgiveAntiPassback('alice');
    expect(state.presenceOf('alice', 'z2', T)).toBeUndefined();
  });

  it('recordPassage restores presence, e.g. replayed from the access log', () => {
    const state = new ZoneState();
    state.recordPassage('alice', 'z1', 'inside', T);
    expect(state.presenceOf('alice', 'z1', T + S)).toBe('inside');
  });

  it.each([
    { options: { antiPassbackResetMinutes: -1 } },
    { options: { antiPassbackResetMinutes: 10_081 } },
    { options: { antiPassbackResetMinutes: 1.5 } },
    { options: { unlockGraceMs: -1 } },
    { options: { unlockGraceMs: Number.NaN } },
  ])('rejects options $options', ({ options }) => {
    expect(() => new ZoneState(options)).toThrow(RangeError);
  });
});

interface DoorRow {
  name: string;
  /** Door events on d1, at T + after; `grant` = a granted decision at d1. */
  steps: Array<{ kind: DoorEvent['kind'] | 'grant'; after: number }>;
  after: number;
  expected: DoorStatus & { busy: boolean };
}

const idle = { open: false, unlocked: false, grantPendingUntil: null, busy: false };

const doorRows: DoorRow[] = [
  { name: 'never heard of: idle', steps: [], after: 0, expected: idle },
  { name: 'opened: busy', steps: [{ kind: 'opened', after: 0 }], after: S, expected: { ...idle, open: true, busy: true } },
  {
    name: 'opened then closed: idle',
    steps: [
      { kind: 'opened', after: 0 },
      { kind: 'closed', after: S },
    ],
    after: 2 * S,
    expected: idle,
  },
  { name: 'unlocked: busy', steps: [{ kind: 'unlocked', after: 0 }], after: S, expected: { ...idle, unlocked: true, busy: true } },
  {
    name: 'unlocked then locked: idle',
    steps: [
      { kind: 'unlocked', after: 0 },
      { kind: 'locked', after: S },
    ],
    after: 2 * S,
    expected: idle,
  },
  {
    name: 'locked but still open: busy',
    steps: [
      { kind: 'unlocked', after: 0 },
      { kind: 'opened', after: S },
      { kind: 'locked', after: 2 * S },
    ],
    after: 3 * S,
    expected: { ...idle, open: true, busy: true },
  },
  {
    name: 'a grant: busy for the grace period',
    steps: [{ kind: 'grant', after: 0 }],
    after: DEFAULT_UNLOCK_GRACE_MS - 1,
    expected: { ...idle, grantPendingUntil: T + DEFAULT_UNLOCK_GRACE_MS, busy: true },
  },
  { name: 'a grant: idle after the grace period', steps: [{ kind: 'grant', after: 0 }], after: DEFAULT_UNLOCK_GRACE_MS, expected: idle },
  {
    name: 'a grant confirmed by the relay: its state takes over',
    steps: [
      { kind: 'grant', after: 0 },
      { kind: 'unlocked', after: 100 },
    ],
    after: DEFAULT_UNLOCK_GRACE_MS + S,
    expected: { ...idle, unlocked: true, busy: true },
  },
  {
    name: 'a grant, unlock, lock: idle before the grace period ends',
    steps: [
      { kind: 'grant', after: 0 },
      { kind: 'unlocked', after: 100 },
      { kind: 'locked', after: 5 * S },
    ],
    after: 6 * S,
    expected: idle,
  },
  {
    name: 'a relay event older than the grant does not cancel it',
    steps: [
      { kind: 'grant', after: S },
      { kind: 'locked', after: 0 },
    ],
    after: 2 * S,
    expected: { ...idle, grantPendingUntil: T + S + DEFAULT_UNLOCK_GRACE_MS, busy: true },
  },
  {
    name: 'a late redelivery of an older sensor event is ignored',
    steps: [
      { kind: 'opened', after: 0 },
      { kind: 'closed', after: S },
      { kind: 'opened', after: 0 },
    ],
    after: 2 * S,
    expected: idle,
  },
  {
    name: 'a late redelivery of an older relay event is ignored',
    steps: [
      { kind: 'unlocked', after: 0 },
      { kind: 'locked', after: S },
      { kind: 'unlocked', after: S - 1 },
    ],
    after: 2 * S,
    expected: idle,
  },
];

describe('ZoneState: door status for interlock', () => {
  it.each(doorRows)('$name', (row) => {
    const state = new ZoneState();
    for (const s of row.steps) {
      if (s.kind === 'grant') state.applyDecision(decision({ at: T + s.after }));
      else state.applyDoorEvent({ doorId: 'd1', kind: s.kind, at: T + s.after });
    }
    const { busy, ...status } = row.expected;
    expect({ ...state.doorStatus('d1', T + row.after), busy: state.isDoorBusy('d1', T + row.after) }).toEqual({ ...status, busy });
    expect(state.isDoorBusy('d2', T + row.after)).toBe(false);
  });

  it('a denied decision leaves the door alone', () => {
    const state = new ZoneState();
    state.applyDecision(decision({ granted: false, reason: 'controller_offline' }));
    expect(state.isDoorBusy('d1', T)).toBe(false);
  });

  it('setDoorStatus replaces what events said, whatever their instants', () => {
    const state = new ZoneState();
    state.applyDoorEvent({ doorId: 'd1', kind: 'opened', at: T + MIN });
    state.setDoorStatus('d1', { open: false, unlocked: false }, T);
    expect(state.isDoorBusy('d1', T + S)).toBe(false);
    state.applyDoorEvent({ doorId: 'd1', kind: 'opened', at: T - S });
    expect(state.isDoorBusy('d1', T + S)).toBe(false);
  });
});

describe('ZoneState: two-person waits', () => {
  const pendingDecision = (personId: string, after: number, doorId = 'd1'): BadgeInDecision =>
    decision({ granted: false, reason: 'two_person_pending', personId, doorId, at: T + after, pendingUntil: T + after + 30 * S });

  it.each([
    { name: 'waiting within the window', after: 29 * S, expected: 'alice' },
    { name: 'expired at the end of the window', after: 30 * S, expected: undefined },
  ])('$name', ({ after, expected }) => {
    const state = new ZoneState();
    state.applyDecision(pendingDecision('alice', 0));
    expect(state.pendingAt('d1', T + after)?.personId).toBe(expected);
  });

  it('one wait per door; a new first person replaces the old wait', () => {
    const state = new ZoneState();
    state.applyDecision(pendingDecision('alice', 0));
    state.applyDecision(pendingDecision('bob', S, 'd2'));
    expect([state.pendingAt('d1', T + 2 * S)?.personId, state.pendingAt('d2', T + 2 * S)?.personId]).toEqual(['alice', 'bob']);
    state.applyDecision(pendingDecision('dave', 3 * S));
    expect(state.pendingAt('d1', T + 4 * S)).toEqual({ personId: 'dave', doorId: 'd1', since: T + 3 * S, expiresAt: T + 33 * S });
  });

  it('a two-person grant ends the wait at that door', () => {
    const state = new ZoneState();
    state.applyDecision(pendingDecision('alice', 0));
    state.applyDecision(decision({ personId: 'bob', reason: 'two_person_granted', companionPersonId: 'alice', at: T + S }));
    expect(state.pendingAt('d1', T + 2 * S)).toBeUndefined();
  });
});

describe('ZoneState: entries for escorts', () => {
  it('remembers granted entries per door for the longest escort window, not exits or denials', () => {
    const state = new ZoneState();
    state.applyDecision(decision({ personId: 'alice', at: T }));
    state.applyDecision(decision({ personId: 'bob', direction: 'exit', at: T }));
    state.applyDecision(decision({ granted: false, reason: 'no_grant_for_door', personId: 'carol', at: T }));
    expect(state.lastEntryAt('d1', 'alice', T + S)).toBe(T);
    expect(state.lastEntryAt('d2', 'alice', T + S)).toBeUndefined();
    expect(state.lastEntryAt('d1', 'bob', T + S)).toBeUndefined();
    expect(state.lastEntryAt('d1', 'carol', T + S)).toBeUndefined();
    expect(state.lastEntryAt('d1', 'alice', T + 600 * S - 1)).toBe(T);
    expect(state.lastEntryAt('d1', 'alice', T + 600 * S)).toBeUndefined();
  });

  it('a visitor waits like a first person, and an escorted pair ends the wait', () => {
    const state = new ZoneState();
    state.applyDecision(decision({ granted: false, reason: 'escort_pending', personId: 'vic', pendingUntil: T + 30 * S }));
    expect(state.pendingAt('d1', T + S)?.personId).toBe('vic');
    state.applyDecision(decision({ personId: 'alice', reason: 'escorted', companionPersonId: 'vic', at: T + 2 * S }));
    expect(state.pendingAt('d1', T + 3 * S)).toBeUndefined();
    expect(state.lastEntryAt('d1', 'vic', T + 3 * S)).toBe(T + 2 * S);
  });
});

describe('ZoneState: prune', () => {
  it('drops forgotten passages and expired waits, keeps the rest', () => {
    const state = new ZoneState({ antiPassbackResetMinutes: 60 });
    state.applyDecision(decision({}));
    state.applyDecision(decision({ personId: 'bob', at: T + 50 * MIN }));
    state.applyDecision(decision({ granted: false, reason: 'two_person_pending', personId: 'dave', doorId: 'd2', pendingUntil: T + 30 * S }));
    state.applyDoorEvent({ doorId: 'd3', kind: 'opened', at: T });
    expect(state.prune(T + 60 * MIN)).toBe(2);
    expect(state.presenceOf('bob', 'z1', T + 60 * MIN)).toBe('inside');
    expect(state.isDoorBusy('d3', T + 60 * MIN)).toBe(true);
    expect(state.prune(T + 60 * MIN)).toBe(0);
  });
});
