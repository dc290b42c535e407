import { describe, expect, it } from '@jest/globals';
import { decideEscort, escortWindowMs, type EscortFacts, type EscortOutcome } from './escort.js';

const T = 1_000_000;
const S = 1000;

function facts(over: Partial<EscortFacts> = {}): EscortFacts {
  return { escortedBy: null, personId: 'p', at: T, twoPersonWindowSeconds: null, pending: null, hostEnteredAt: undefined, hostAllowedNow: false, ...over };
}

const waiting = (personId: string, escortedBy: string | null = null, allowedNow = true) => ({ personId, escortedBy, allowedNow });

describe('decideEscort', () => {
  it.each<[string, Partial<EscortFacts>, EscortOutcome]>([
    ['an employee in a plain zone', {}, { rule: 'none' }],
    ['an employee in a two-person zone', { twoPersonWindowSeconds: 20 }, { rule: 'two_person', pendingIsCompanion: true }],
    ['a visitor alone (default window 30 s)', { escortedBy: 'h', personId: 'v' }, { rule: 'escort_pending', pendingUntil: T + 30 * S }],
    [
      'a visitor alone in a zone with its own window',
      { escortedBy: 'h', personId: 'v', twoPersonWindowSeconds: 90 },
      { rule: 'escort_pending', pendingUntil: T + 90 * S },
    ],
    [
      'a visitor with the host waiting',
      { escortedBy: 'h', personId: 'v', pending: waiting('h'), hostAllowedNow: true },
      { rule: 'escorted', companionPersonId: 'h' },
    ],
    [
      'a visitor with a host waiting who may no longer enter',
      { escortedBy: 'h', personId: 'v', pending: waiting('h'), hostAllowedNow: false },
      { rule: 'escort_pending', pendingUntil: T + 30 * S },
    ],
    [
      'a visitor with someone else waiting',
      { escortedBy: 'h', personId: 'v', pending: waiting('x'), hostAllowedNow: true },
      { rule: 'escort_pending', pendingUntil: T + 30 * S },
    ],
    ['a visitor just after the host entered', { escortedBy: 'h', personId: 'v', hostEnteredAt: T - 29 * S, hostAllowedNow: true }, { rule: 'escorted' }],
    [
      'a visitor exactly a window after the host entered',
      { escortedBy: 'h', personId: 'v', hostEnteredAt: T - 30 * S, hostAllowedNow: true },
      { rule: 'escort_pending', pendingUntil: T + 30 * S },
    ],
    [
      'a visitor after a host entry recorded later than now (clock skew)',
      { escortedBy: 'h', personId: 'v', hostEnteredAt: T + S, hostAllowedNow: true },
      { rule: 'escort_pending', pendingUntil: T + 30 * S },
    ],
    [
      'a visitor after the host entered, in a two-person zone (the pair must pass together)',
      { escortedBy: 'h', personId: 'v', twoPersonWindowSeconds: 30, hostEnteredAt: T - S, hostAllowedNow: true },
      { rule: 'escort_pending', pendingUntil: T + 30 * S },
    ],
    ['the host with their visitor waiting', { personId: 'h', pending: waiting('v', 'h') }, { rule: 'escorted', companionPersonId: 'v' }],
    ['the host with their visitor waiting who may no longer enter', { personId: 'h', pending: waiting('v', 'h', false) }, { rule: 'none' }],
    ['someone else with a visitor waiting', { personId: 'x', pending: waiting('v', 'h') }, { rule: 'none' }],
    [
      'someone else with a visitor waiting, two-person zone',
      { personId: 'x', twoPersonWindowSeconds: 30, pending: waiting('v', 'h') },
      { rule: 'two_person', pendingIsCompanion: false },
    ],
    [
      'an employee with an employee waiting, two-person zone',
      { personId: 'x', twoPersonWindowSeconds: 30, pending: waiting('y') },
      { rule: 'two_person', pendingIsCompanion: true },
    ],
  ])('%s', (_, over, expected) => {
    expect(decideEscort(facts(over))).toEqual(expected);
  });

  it('the window is the zone two-person window, else 30 s', () => {
    expect(escortWindowMs(null)).toBe(30 * S);
    expect(escortWindowMs(45)).toBe(45 * S);
  });
});
