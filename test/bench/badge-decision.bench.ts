import { ZoneState, decideBadgeIn, evaluateAccess, indexSnapshot, type BadgeInAttempt, type BadgeInDecision, type RegistrySnapshot } from '@acs/access-rules';
// A relative import: the build's alias rewriting does not handle the /testing sub-path.
import { snapshotBuilder, weekdays } from '../../libs/access-rules/src/testing/index.js';
import { type Benchmark, summarise } from './harness.js';
import { seededRandom } from '@acs/clock';

/**
 * The pure badge-in decision (issue 7), alone: decide + apply to the zone state, per attempt,
 * over a site of 60 customers x 40 people with customer-wide, scheduled and personal grants and
 * every zone rule in use. It is one part of the end-to-end p99 <= 5 ms budget (reply frame in ->
 * unlock command out), so it should cost microseconds. Figures: decisions per second with the
 * snapshot index and without it (every grant of the registry filtered per call), against a bare
 * loop doing the two Map lookups any decision needs, and the per-decision p99.
 */

const CUSTOMERS = 60;
const PEOPLE_PER_CUSTOMER = 40;
const MONDAY_08 = Date.parse('2026-03-30T06:00:00Z');

function site(): RegistrySnapshot {
  const b = snapshotBuilder()
    .zone('hall')
    .zone('trap', { interlockGroup: 'mt', antiPassback: 'hard' })
    .zone('core', { interlockGroup: 'mt' })
    .door('d-hall', 'hall')
    .door('d-outer', 'trap')
    .door('d-inner', 'core')
    .schedule('office', { windows: weekdays('07:00', '19:00') })
    .accessLevel('common', { zoneIds: ['hall', 'trap', 'core'] });
  for (let c = 0; c < CUSTOMERS; c++) {
    const cust = `c${c}`;
    b.customer(cust)
      .zone(`suite-${c}`, { antiPassback: c % 3 === 0 ? 'hard' : c % 3 === 1 ? 'soft' : 'off' })
      .zone(`cage-${c}`, { twoPersonWindowSeconds: c % 4 === 0 ? 30 : null })
      .door(`d-suite-${c}`, `suite-${c}`)
      .door(`d-cage-${c}`, `cage-${c}`)
      .accessLevel(`suite-${c}`, { zoneIds: [`suite-${c}`], scheduleId: 'office' })
      .accessLevel(`cage-${c}`, { doorIds: [`d-cage-${c}`] })
      .grant(`g-common-${c}`, { accessLevelId: 'common', customerId: cust })
      .grant(`g-suite-${c}`, { accessLevelId: `suite-${c}`, customerId: cust });
    for (let p = 0; p < PEOPLE_PER_CUSTOMER; p++) {
      const person = `p${c}-${p}`;
      b.person(person, cust, { status: p === 39 ? 'suspended' : 'active' });
      if (p % 4 === 0) b.grant(`g-cage-${c}-${p}`, { accessLevelId: `cage-${c}`, customerId: cust, personId: person });
    }
  }
  return b.build();
}

function attempts(n: number, random: () => number): BadgeInAttempt[] {
  const doors = (c: number): string[] => ['d-hall', 'd-outer', 'd-inner', `d-suite-${c}`, `d-suite-${c}`, `d-cage-${c}`];
  const list: BadgeInAttempt[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * CUSTOMERS);
    const p = Math.floor(random() * PEOPLE_PER_CUSTOMER);
    const door = doors(c)[Math.floor(random() * 6)];
    const unknown = random() < 0.05;
    list.push({
      readerId: `r-${door}`,
      doorId: door,
      direction: random() < 0.5 ? 'entry' : 'exit',
      personId: unknown ? null : `p${c}-${p}`,
      score: unknown ? null : 40 + Math.floor(random() * 160),
      threshold: 50,
      // Spread over a working day and evening, so schedules answer both ways.
      at: MONDAY_08 + Math.floor((i * 14 * 3_600_000) / n),
    });
  }
  return list;
}

function decideAll(snapshot: RegistrySnapshot, list: readonly BadgeInAttempt[], indexed: boolean, samples?: number[]): Map<string, number> {
  const index = indexed ? indexSnapshot(snapshot) : undefined;
  const state = new ZoneState();
  const reasons = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const attempt = list[i];
    const t0 = samples ? performance.now() : 0;
    const decision: BadgeInDecision = decideBadgeIn({
      snapshot,
      index,
      attempt,
      door: { controllerOnline: i % 97 !== 0 },
      state,
    });
    state.applyDecision(decision);
    if (samples) samples.push(performance.now() - t0);
    // Doors close again, so the mantrap is not blocked for the whole run.
    if (decision.granted) state.applyDoorEvent({ doorId: decision.doorId, kind: 'locked', at: attempt.at + 1 });
    reasons.set(decision.reason, (reasons.get(decision.reason) ?? 0) + 1);
  }
  return reasons;
}

function perSecond(fn: () => void, count: number): number {
  const t0 = performance.now();
  fn();
  return (count / (performance.now() - t0)) * 1000;
}

const bench: Benchmark = {
  name: 'badge-in decision (pure, in memory)',
  async run(ctx) {
    const n = ctx.quick ? 5_000 : 100_000;
    const snapshot = site();
    const list = attempts(n, seededRandom(7));
    ctx.log(`${snapshot.persons.size} people, ${snapshot.grants.length} grants, ${snapshot.doors.size} doors; ${n} attempts`);

    // Same decisions both ways, or the comparison means nothing.
    const sample = list.filter((_, i) => i % Math.max(1, Math.floor(n / 2000)) === 0);
    const a = decideAll(snapshot, sample, true);
    const b = decideAll(snapshot, sample, false);
    if (JSON.stringify([...a].sort()) !== JSON.stringify([...b].sort())) throw new Error('indexed and unindexed decisions differ');
    ctx.log(
      `reasons (${sample.length} sampled): ${[...a]
        .sort((x, y) => y[1] - x[1])
        .map(([r, k]) => `${r} ${k}`)
        .join(', ')}`,
    );
    // Warm up the JIT on the measured paths before timing them.
    decideAll(snapshot, list, true);
    for (const at of [0, 1]) evaluateAccess(snapshot, 'p0-0', 'd-hall', MONDAY_08 + at);

    let sink = 0;
    const baseline = perSecond(() => {
      for (let round = 0; round < 10; round++) {
        for (const attempt of list) {
          if (attempt.personId !== null && snapshot.persons.get(attempt.personId)) sink++;
          if (snapshot.doors.get(attempt.doorId)) sink++;
        }
      }
    }, n * 10);
    if (sink === 0) throw new Error('baseline optimised away');

    const indexed = perSecond(() => decideAll(snapshot, list, true), n);
    // The unindexed path is slower; a tenth of the attempts gives a stable figure.
    const slice = ctx.quick ? list : list.slice(0, n / 10);
    const unindexed = perSecond(() => decideAll(snapshot, slice, false), slice.length);
    const samples: number[] = [];
    decideAll(snapshot, list, true, samples);
    const s = summarise(samples);
    ctx.log(`indexed ${indexed.toFixed(0)}/s, unindexed ${unindexed.toFixed(0)}/s, bare lookups ${baseline.toFixed(0)}/s`);
    return [
      { name: 'decisions per second (indexed)', value: indexed, unit: '1/s', baseline, better: 'higher' },
      { name: 'decisions per second (no index)', value: unindexed, unit: '1/s', baseline, better: 'higher' },
      { name: 'decision p50 (indexed)', value: s.p50, unit: 'ms', better: 'lower' },
      { name: 'decision p99 (indexed)', value: s.p99, unit: 'ms', better: 'lower' },
    ];
  },
};

export default bench;
