import { describe, expect, it } from '@jest/globals';
import { evaluateAccess, indexSnapshot } from '@acs/access-rules';
import { everyDay, instant, snapshotBuilder, weekdays } from '@acs/access-rules/testing';

// Grants of every shape: customer-wide and personal, overlapping levels with and without
// schedules, future and expired, a dangling level, and a grant of one customer naming a person
// of another. The index must give exactly the answers of the unindexed path, ties included.
function snapshot() {
  return (
    snapshotBuilder()
      .customer('acme', { serviceStart: instant('2026-01-01T00:00:00Z'), serviceEnd: instant('2026-06-01T00:00:00Z') })
      .customer('globex', { serviceStart: instant('2026-01-01T00:00:00Z') })
      .person('alice', 'acme')
      .person('bob', 'acme', { validUntil: instant('2026-04-01T00:00:00Z') })
      .person('carol', 'globex')
      .zone('suite', { interlockGroup: 'mt' })
      .zone('trap', { interlockGroup: 'mt' })
      .zone('hall')
      .door('d-suite', 'suite')
      .door('d-trap', 'trap')
      .door('d-hall', 'hall')
      .door('d-side', 'hall')
      .schedule('office', { windows: weekdays('08:00', '18:00'), holidays: ['2026-03-31'], holidayWindows: [{ day: 1, start: '10:00', end: '12:00' }] })
      .schedule('late', { windows: weekdays('17:00', '22:00') })
      // Never flips within a week's look-ahead, until a holiday comes within reach.
      .schedule('always', { windows: everyDay('00:00', '24:00'), holidays: ['2026-04-20'] })
      .accessLevel('side-always', { doorIds: ['d-side'], scheduleId: 'always' })
      .grant('g9', { accessLevelId: 'side-always', customerId: 'acme', personId: 'alice' })
      .accessLevel('suite-office', { zoneIds: ['suite'], scheduleId: 'office' })
      .accessLevel('suite-late', { zoneIds: ['suite'], scheduleId: 'late' })
      .accessLevel('hall', { zoneIds: ['hall', 'trap'] })
      .accessLevel('side', { doorIds: ['d-side'] })
      .grant('g1', { accessLevelId: 'suite-office', customerId: 'acme' })
      .grant('g2', { accessLevelId: 'suite-late', customerId: 'acme', personId: 'alice' })
      .grant('g3', { accessLevelId: 'hall', customerId: 'acme', validFrom: instant('2026-04-10T00:00:00Z') })
      .grant('g4', { accessLevelId: 'hall', customerId: 'acme', validUntil: instant('2026-03-15T00:00:00Z') })
      .grant('g5', { accessLevelId: 'side', customerId: 'acme', personId: 'bob' })
      .grant('g6', { accessLevelId: 'missing', customerId: 'globex' })
      .grant('g7', { accessLevelId: 'hall', customerId: 'acme', personId: 'carol' })
      .grant('g8', { accessLevelId: 'suite-office', customerId: 'acme', personId: 'alice' })
      .build()
  );
}

const instants = [
  '2026-03-10T12:00:00+01:00',
  '2026-03-30T07:59:59+02:00',
  '2026-03-30T12:00:00+02:00',
  '2026-03-30T17:30:00+02:00',
  '2026-03-30T23:00:00+02:00',
  '2026-04-04T12:00:00+02:00',
  '2026-04-14T12:00:00+02:00',
  '2026-06-01T00:00:00+02:00',
].map(instant);

describe('SnapshotIndex', () => {
  const snap = snapshot();
  const index = indexSnapshot(snap);
  const cases = ['alice', 'bob', 'carol', 'nobody'].flatMap((personId) =>
    ['d-suite', 'd-trap', 'd-hall', 'd-side', 'd-none'].flatMap((doorId) => instants.map((at) => ({ personId, doorId, at }))),
  );

  it(`evaluateAccess gives the same answers with and without it (${cases.length} cases)`, () => {
    const without = cases.map((c) => evaluateAccess(snap, c.personId, c.doorId, c.at));
    const withIndex = cases.map((c) => evaluateAccess(snap, c.personId, c.doorId, c.at, index));
    expect(withIndex).toEqual(without);
    // The grid is only worth something if it sees several answers.
    expect(new Set(without.map((a) => a.reason)).size).toBeGreaterThanOrEqual(6);
  });

  it('keeps the same answers over a week across DST, in any order, at every schedule edge (memoised schedules)', () => {
    const sweep: number[] = [];
    for (let at = instant('2026-03-27T00:00:00+01:00'); at < instant('2026-04-04T00:00:00+02:00'); at += 997_000) sweep.push(at);
    const ask = (at: number, idx?: ReturnType<typeof indexSnapshot>) => ['alice', 'bob'].map((p) => evaluateAccess(snap, p, 'd-suite', at, idx));
    const unindexed = new Map<number, ReturnType<typeof ask>>();
    const expected = (at: number) => {
      if (!unindexed.has(at)) unindexed.set(at, ask(at));
      return unindexed.get(at)!;
    };
    // Every instant at which some answer says it changes, and its neighbours.
    const edges = [...new Set(sweep.flatMap((at) => expected(at)).flatMap((a) => (a.until === undefined ? [] : [a.until - 1, a.until, a.until + 1])))];
    expect(edges.length).toBeGreaterThan(30);
    const shuffled = sweep.map((_, i) => sweep[(i * 7919) % sweep.length]);
    for (const order of [sweep, [...sweep].reverse(), shuffled, edges]) {
      const shared = indexSnapshot(snap);
      expect(order.map((at) => ask(at, shared))).toEqual(order.map(expected));
    }
  });

  it('refuses an index of another snapshot', () => {
    expect(() => evaluateAccess(snapshot(), 'alice', 'd-suite', instants[2], index)).toThrow(/another snapshot/);
  });

  it('lists the doors of an interlock group', () => {
    expect(index.interlockDoors('mt')).toEqual(['d-suite', 'd-trap']);
    expect(index.interlockDoors('none')).toEqual([]);
  });

  it("grants for a person: their customer's, everyone's or theirs, in snapshot order, dangling levels left out", () => {
    const ids = (personId: string) => index.grantsFor(snap.persons.get(personId)!).map((g) => g.grant.id);
    expect([ids('alice'), ids('bob'), ids('carol')]).toEqual([['g9', 'g1', 'g2', 'g3', 'g4', 'g8'], ['g1', 'g3', 'g4', 'g5'], []]);
  });
});
