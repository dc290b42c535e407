import { describe, expect, it } from '@jest/globals';
import { ACCESS_REASONS, doorsForPerson, evaluateAccess, personsCoveredByDoors, whoMayOpen, type AccessAnswer, type AccessReason } from '@acs/access-rules';
import { instant, onDays, snapshotBuilder, weekdays, type SnapshotBuilder } from '@acs/access-rules/testing';

// Two customers in one building. acme has suite-1 (office hours, whole customer) and cage-7
// (always, door listed directly, alice only); globex has the lobby. Europe/Amsterdam.
const MONDAY_NOON = instant('2026-03-30T12:00:00+02:00');
const MONDAY_18 = instant('2026-03-30T18:00:00+02:00');
const MONDAY_19 = instant('2026-03-30T19:00:00+02:00');
const TUESDAY_08 = instant('2026-03-31T08:00:00+02:00');

function base(): SnapshotBuilder {
  return snapshotBuilder()
    .customer('acme', { serviceStart: instant('2026-01-01T00:00:00Z') })
    .customer('globex', { serviceStart: instant('2026-01-01T00:00:00Z') })
    .person('alice', 'acme')
    .person('bob', 'acme')
    .person('carol', 'globex')
    .zone('suite-1')
    .zone('cage-7')
    .zone('lobby')
    .door('d-suite', 'suite-1')
    .door('d-cage', 'cage-7')
    .door('d-lobby', 'lobby')
    .schedule('office', { windows: weekdays('08:00', '18:00') })
    .schedule('evening', { windows: weekdays('18:00', '22:00') })
    .accessLevel('suite-office', { zoneIds: ['suite-1'], scheduleId: 'office' })
    .accessLevel('suite-evening', { zoneIds: ['suite-1'], scheduleId: 'evening' })
    .accessLevel('cage-always', { doorIds: ['d-cage'] })
    .accessLevel('lobby-always', { zoneIds: ['lobby'] })
    .grant('g-acme-suite', { accessLevelId: 'suite-office', customerId: 'acme' })
    .grant('g-alice-cage', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'alice' })
    .grant('g-globex-lobby', { accessLevelId: 'lobby-always', customerId: 'globex' });
}

interface Row {
  name: string;
  setup?: (b: SnapshotBuilder) => SnapshotBuilder;
  person?: string;
  door?: string;
  at?: number;
  expected: AccessAnswer;
}

const T = instant('2026-03-30T10:00:00+02:00');
const LATER = instant('2026-04-15T00:00:00Z');
const EARLIER = instant('2026-03-01T00:00:00Z');

// Every reason code, and the check order where two reasons apply at once.
const reasonRows: Row[] = [
  {
    name: 'granted in office hours, until the window closes',
    expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
  },
  {
    name: 'granted at all times: no until',
    door: 'd-cage',
    at: MONDAY_19,
    expected: { allowed: true, reason: 'granted', grantId: 'g-alice-cage', accessLevelId: 'cage-always' },
  },
  { name: 'unknown person', person: 'mallory', expected: { allowed: false, reason: 'unknown_person' } },
  { name: 'unknown door', door: 'd-nowhere', expected: { allowed: false, reason: 'unknown_door' } },
  {
    name: 'person whose customer is missing counts as unknown',
    setup: (b) => b.remove('customers', 'acme'),
    expected: { allowed: false, reason: 'unknown_person' },
  },
  {
    name: 'door whose zone is missing counts as unknown',
    setup: (b) => b.remove('zones', 'suite-1'),
    expected: { allowed: false, reason: 'unknown_door' },
  },
  {
    name: 'customer purged',
    setup: (b) => b.patch('customers', 'acme', { purgedAt: EARLIER }),
    expected: { allowed: false, reason: 'customer_purged' },
  },
  {
    name: 'purged beats service ended',
    setup: (b) => b.patch('customers', 'acme', { serviceEnd: EARLIER, purgedAt: EARLIER }),
    expected: { allowed: false, reason: 'customer_purged' },
  },
  {
    name: 'customer not started, until service start',
    setup: (b) => b.patch('customers', 'acme', { serviceStart: LATER }),
    expected: { allowed: false, reason: 'customer_not_started', until: LATER },
  },
  {
    name: 'customer not started beats person not yet valid',
    setup: (b) => b.patch('customers', 'acme', { serviceStart: LATER }).patch('persons', 'alice', { validFrom: LATER + 1 }),
    expected: { allowed: false, reason: 'customer_not_started', until: LATER },
  },
  {
    name: 'customer service ended',
    setup: (b) => b.patch('customers', 'acme', { serviceEnd: EARLIER }),
    expected: { allowed: false, reason: 'customer_service_ended' },
  },
  {
    name: 'service ended beats suspended',
    setup: (b) => b.patch('customers', 'acme', { serviceEnd: EARLIER }).patch('persons', 'alice', { status: 'suspended' }),
    expected: { allowed: false, reason: 'customer_service_ended' },
  },
  {
    name: 'person suspended',
    setup: (b) => b.patch('persons', 'alice', { status: 'suspended' }),
    expected: { allowed: false, reason: 'person_suspended' },
  },
  {
    name: 'person restricted',
    setup: (b) => b.patch('persons', 'alice', { status: 'restricted' }),
    expected: { allowed: false, reason: 'person_restricted' },
  },
  {
    name: 'restricted beats expired',
    setup: (b) => b.patch('persons', 'alice', { status: 'restricted', validUntil: EARLIER }),
    expected: { allowed: false, reason: 'person_restricted' },
  },
  {
    name: 'person not yet valid, until validFrom',
    setup: (b) => b.patch('persons', 'alice', { validFrom: LATER }),
    expected: { allowed: false, reason: 'person_not_yet_valid', until: LATER },
  },
  {
    name: 'person expired',
    setup: (b) => b.patch('persons', 'alice', { validUntil: EARLIER }),
    expected: { allowed: false, reason: 'person_expired' },
  },
  {
    name: 'zone lockdown of the door',
    setup: (b) => b.patch('zones', 'suite-1', { lockdown: true }),
    expected: { allowed: false, reason: 'zone_lockdown' },
  },
  {
    name: 'lockdown of another zone does not matter',
    setup: (b) => b.patch('zones', 'lobby', { lockdown: true }),
    expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
  },
  {
    name: 'expired person beats lockdown',
    setup: (b) => b.patch('zones', 'suite-1', { lockdown: true }).patch('persons', 'alice', { validUntil: EARLIER }),
    expected: { allowed: false, reason: 'person_expired' },
  },
  {
    name: 'lockdown beats missing grant',
    door: 'd-lobby',
    setup: (b) => b.patch('zones', 'lobby', { lockdown: true }),
    expected: { allowed: false, reason: 'zone_lockdown' },
  },
  { name: 'no grant for the door', door: 'd-lobby', expected: { allowed: false, reason: 'no_grant_for_door' } },
  {
    name: 'grant not yet valid, until it starts',
    setup: (b) => b.patch('grants', 'g-acme-suite', { validFrom: LATER }),
    expected: { allowed: false, reason: 'grant_not_yet_valid', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: LATER },
  },
  {
    name: 'grant expired',
    setup: (b) => b.patch('grants', 'g-acme-suite', { validUntil: EARLIER }),
    expected: { allowed: false, reason: 'grant_expired', grantId: 'g-acme-suite', accessLevelId: 'suite-office' },
  },
  {
    name: 'outside schedule, until it opens next morning',
    at: MONDAY_19,
    expected: { allowed: false, reason: 'outside_schedule', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: TUESDAY_08 },
  },
];

function run(row: Row): AccessAnswer {
  const snapshot = (row.setup ?? ((b: SnapshotBuilder) => b))(base()).build();
  return evaluateAccess(snapshot, row.person ?? 'alice', row.door ?? 'd-suite', row.at ?? T);
}

describe('evaluateAccess: reasons and check order', () => {
  it.each(reasonRows)('$name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });

  it('the table reaches every reason code', () => {
    const seen = new Set<AccessReason>(reasonRows.map((r) => r.expected.reason));
    expect([...seen].sort()).toEqual([...ACCESS_REASONS].sort());
  });
});

describe('evaluateAccess: edges of time', () => {
  const END = instant('2026-03-30T17:00:00+02:00');
  const FROM = instant('2026-03-30T09:00:00+02:00');
  const UNTIL = instant('2026-03-30T11:00:00+02:00');

  it.each<Row>([
    {
      name: 'service end - 1 ms: granted until service end',
      setup: (b) => b.patch('customers', 'acme', { serviceEnd: END }),
      at: END - 1,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: END },
    },
    {
      name: 'service end exactly: denied',
      setup: (b) => b.patch('customers', 'acme', { serviceEnd: END }),
      at: END,
      expected: { allowed: false, reason: 'customer_service_ended' },
    },
    {
      name: 'service start exactly: granted',
      setup: (b) => b.patch('customers', 'acme', { serviceStart: FROM }),
      at: FROM,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'service start - 1 ms: not started',
      setup: (b) => b.patch('customers', 'acme', { serviceStart: FROM }),
      at: FROM - 1,
      expected: { allowed: false, reason: 'customer_not_started', until: FROM },
    },
    {
      name: 'person validFrom - 1 ms',
      setup: (b) => b.patch('persons', 'alice', { validFrom: FROM }),
      at: FROM - 1,
      expected: { allowed: false, reason: 'person_not_yet_valid', until: FROM },
    },
    {
      name: 'person validFrom exactly (inclusive)',
      setup: (b) => b.patch('persons', 'alice', { validFrom: FROM }),
      at: FROM,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'person validUntil - 1 ms: granted until validUntil',
      setup: (b) => b.patch('persons', 'alice', { validUntil: UNTIL }),
      at: UNTIL - 1,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: UNTIL },
    },
    {
      name: 'person validUntil exactly (exclusive)',
      setup: (b) => b.patch('persons', 'alice', { validUntil: UNTIL }),
      at: UNTIL,
      expected: { allowed: false, reason: 'person_expired' },
    },
    {
      name: 'grant validFrom exactly (inclusive)',
      setup: (b) => b.patch('grants', 'g-acme-suite', { validFrom: FROM }),
      at: FROM,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'grant validUntil - 1 ms: granted until the grant ends',
      setup: (b) => b.patch('grants', 'g-acme-suite', { validUntil: UNTIL }),
      at: UNTIL - 1,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: UNTIL },
    },
    {
      name: 'grant validUntil exactly (exclusive)',
      setup: (b) => b.patch('grants', 'g-acme-suite', { validUntil: UNTIL }),
      at: UNTIL,
      expected: { allowed: false, reason: 'grant_expired', grantId: 'g-acme-suite', accessLevelId: 'suite-office' },
    },
    {
      name: 'outside schedule, but the grant ends before it reopens: until the grant end',
      setup: (b) => b.patch('grants', 'g-acme-suite', { validUntil: instant('2026-03-30T23:00:00+02:00') }),
      at: MONDAY_19,
      expected: {
        allowed: false,
        reason: 'outside_schedule',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-03-30T23:00:00+02:00'),
      },
    },
    {
      name: 'grant not yet valid, but service ends first: until service end',
      setup: (b) => b.patch('grants', 'g-acme-suite', { validFrom: LATER }).patch('customers', 'acme', { serviceEnd: END }),
      expected: { allowed: false, reason: 'grant_not_yet_valid', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: END },
    },
  ])('$name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });
});

describe('evaluateAccess: across DST in Europe/Amsterdam', () => {
  const withNightLevel = (b: SnapshotBuilder, start: string, end: string): SnapshotBuilder =>
    b.schedule('sunday-night', { windows: onDays([7], start, end) }).accessLevel('suite-office', { zoneIds: ['suite-1'], scheduleId: 'sunday-night' });

  it.each<Row>([
    {
      name: 'spring forward: 01:45 CET inside 01:30-02:30, until the jump to 03:00 CEST',
      setup: (b) => withNightLevel(b, '01:30', '02:30'),
      at: instant('2026-03-29T01:45:00+01:00'),
      expected: {
        allowed: true,
        reason: 'granted',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-03-29T03:00:00+02:00'),
      },
    },
    {
      name: 'spring forward: 03:15 CEST outside 01:30-02:30, until next Sunday 01:30 CEST',
      setup: (b) => withNightLevel(b, '01:30', '02:30'),
      at: instant('2026-03-29T03:15:00+02:00'),
      expected: {
        allowed: false,
        reason: 'outside_schedule',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-04-05T01:30:00+02:00'),
      },
    },
    {
      name: 'fall back: first 02:30 (CEST) inside 02:00-03:00, until after the second hour',
      setup: (b) => withNightLevel(b, '02:00', '03:00'),
      at: instant('2026-10-25T02:30:00+02:00'),
      expected: {
        allowed: true,
        reason: 'granted',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-10-25T03:00:00+01:00'),
      },
    },
    {
      name: 'fall back: second 02:30 (CET) inside 02:00-03:00',
      setup: (b) => withNightLevel(b, '02:00', '03:00'),
      at: instant('2026-10-25T02:30:00+01:00'),
      expected: {
        allowed: true,
        reason: 'granted',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-10-25T03:00:00+01:00'),
      },
    },
    {
      name: 'office hours on the Monday after fall back (CET)',
      at: instant('2026-10-26T07:59:59.999+01:00'),
      expected: {
        allowed: false,
        reason: 'outside_schedule',
        grantId: 'g-acme-suite',
        accessLevelId: 'suite-office',
        until: instant('2026-10-26T08:00:00+01:00'),
      },
    },
  ])('$name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });
});

describe('evaluateAccess: several grants', () => {
  const evening = (b: SnapshotBuilder): SnapshotBuilder =>
    b.grant('g-alice-evening', { accessLevelId: 'suite-evening', customerId: 'acme', personId: 'alice' });

  it.each<Row>([
    {
      name: 'one expired, one valid: granted by the valid one',
      setup: (b) => b.grant('g-old', { accessLevelId: 'suite-office', customerId: 'acme', personId: 'alice', validUntil: EARLIER }),
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'one outside schedule, one inside: granted by the evening grant at 19:00',
      setup: evening,
      at: MONDAY_19,
      expected: {
        allowed: true,
        reason: 'granted',
        grantId: 'g-alice-evening',
        accessLevelId: 'suite-evening',
        until: instant('2026-03-30T22:00:00+02:00'),
      },
    },
    {
      name: 'one outside schedule, one inside: granted by the office grant at noon',
      setup: evening,
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'two outside schedule: the one reopening first is named',
      setup: evening,
      at: instant('2026-03-30T23:00:00+02:00'),
      expected: { allowed: false, reason: 'outside_schedule', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: TUESDAY_08 },
    },
    {
      name: 'two granting: the longer-lasting one is named',
      setup: (b) =>
        b
          .grant('g-alice-week', {
            accessLevelId: 'suite-evening',
            customerId: 'acme',
            personId: 'alice',
            validUntil: LATER,
          })
          .accessLevel('suite-evening', { zoneIds: ['suite-1'] }),
      expected: { allowed: true, reason: 'granted', grantId: 'g-alice-week', accessLevelId: 'suite-evening', until: LATER },
    },
    {
      name: 'outside schedule beats a future grant',
      setup: (b) => b.grant('g-future', { accessLevelId: 'suite-evening', customerId: 'acme', validFrom: LATER }),
      at: instant('2026-03-30T23:00:00+02:00'),
      expected: { allowed: false, reason: 'outside_schedule', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: TUESDAY_08 },
    },
    {
      name: 'a future grant beats an expired one',
      setup: (b) =>
        b.patch('grants', 'g-acme-suite', { validUntil: EARLIER }).grant('g-future', { accessLevelId: 'suite-evening', customerId: 'acme', validFrom: LATER }),
      expected: { allowed: false, reason: 'grant_not_yet_valid', grantId: 'g-future', accessLevelId: 'suite-evening', until: LATER },
    },
    {
      name: 'two future grants: the sooner is named',
      setup: (b) =>
        b.patch('grants', 'g-acme-suite', { validFrom: LATER + 5 }).grant('g-sooner', { accessLevelId: 'suite-evening', customerId: 'acme', validFrom: LATER }),
      expected: { allowed: false, reason: 'grant_not_yet_valid', grantId: 'g-sooner', accessLevelId: 'suite-evening', until: LATER },
    },
    {
      name: 'two expired grants: the most recently ended is named',
      setup: (b) =>
        b
          .patch('grants', 'g-acme-suite', { validUntil: EARLIER })
          .grant('g-recent', { accessLevelId: 'suite-evening', customerId: 'acme', validUntil: EARLIER + 5 }),
      expected: { allowed: false, reason: 'grant_expired', grantId: 'g-recent', accessLevelId: 'suite-evening' },
    },
  ])('$name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });
});

describe('evaluateAccess: which grants apply and cover', () => {
  it.each<Row>([
    {
      name: 'customer-wide grant applies to every person of the customer',
      person: 'bob',
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    { name: 'person grant does not apply to a colleague', person: 'bob', door: 'd-cage', expected: { allowed: false, reason: 'no_grant_for_door' } },
    {
      name: "customer A's grant naming a person of customer B does not apply",
      person: 'carol',
      door: 'd-cage',
      setup: (b) => b.grant('g-cross', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'carol' }),
      expected: { allowed: false, reason: 'no_grant_for_door' },
    },
    {
      name: "customer B's grant naming a person of customer A does not apply",
      door: 'd-lobby',
      setup: (b) => b.grant('g-cross', { accessLevelId: 'lobby-always', customerId: 'globex', personId: 'alice' }),
      expected: { allowed: false, reason: 'no_grant_for_door' },
    },
    {
      name: 'another customer holding a grant on the same zone gives nothing',
      person: 'carol',
      expected: { allowed: false, reason: 'no_grant_for_door' },
    },
    {
      name: 'a level listing the zone covers every door into it',
      door: 'd-suite-2',
      setup: (b) => b.door('d-suite-2', 'suite-1'),
      expected: { allowed: true, reason: 'granted', grantId: 'g-acme-suite', accessLevelId: 'suite-office', until: MONDAY_18 },
    },
    {
      name: 'a level listing a door does not cover other doors of its zone',
      door: 'd-cage-2',
      setup: (b) => b.door('d-cage-2', 'cage-7'),
      expected: { allowed: false, reason: 'no_grant_for_door' },
    },
    {
      name: 'grant whose access level is missing covers nothing',
      setup: (b) => b.remove('accessLevels', 'suite-office'),
      expected: { allowed: false, reason: 'no_grant_for_door' },
    },
    {
      name: 'access level whose schedule is missing is never within schedule',
      setup: (b) => b.remove('schedules', 'office'),
      expected: { allowed: false, reason: 'outside_schedule', grantId: 'g-acme-suite', accessLevelId: 'suite-office' },
    },
  ])('$name', (row) => {
    expect(run(row)).toEqual(row.expected);
  });
});

describe('doorsForPerson', () => {
  it('answers for every door', () => {
    const answers = doorsForPerson(base().build(), 'alice', MONDAY_19);
    expect(answers.map((a) => [a.doorId, a.reason, a.allowed])).toEqual([
      ['d-suite', 'outside_schedule', false],
      ['d-cage', 'granted', true],
      ['d-lobby', 'no_grant_for_door', false],
    ]);
    expect(answers[0].until).toBe(TUESDAY_08);
  });

  it('gives the same answers as asking door by door', () => {
    const snapshot = base()
      .grant('g-old', { accessLevelId: 'lobby-always', customerId: 'acme', validUntil: EARLIER })
      .patch('zones', 'cage-7', { lockdown: true })
      .build();
    for (const at of [MONDAY_NOON, MONDAY_19]) {
      const expected = [...snapshot.doors.keys()].map((doorId) => ({ doorId, ...evaluateAccess(snapshot, 'alice', doorId, at) }));
      expect(doorsForPerson(snapshot, 'alice', at)).toEqual(expected);
    }
  });

  it('unknown person: every door says so', () => {
    const answers = doorsForPerson(base().build(), 'mallory', MONDAY_NOON);
    expect(answers).toHaveLength(3);
    expect(new Set(answers.map((a) => a.reason))).toEqual(new Set(['unknown_person']));
  });
});

describe('whoMayOpen', () => {
  it('lists holders of covering grants of any customer, with the answer', () => {
    const snapshot = base()
      .grant('g-carol-suite', { accessLevelId: 'suite-office', customerId: 'globex', personId: 'carol', validFrom: LATER })
      .person('dave', 'acme', { status: 'suspended' })
      .build();
    const answers = whoMayOpen(snapshot, 'd-suite', MONDAY_NOON);
    expect(answers.map((a) => [a.personId, a.reason, a.allowed])).toEqual([
      ['alice', 'granted', true],
      ['bob', 'granted', true],
      ['carol', 'grant_not_yet_valid', false],
      ['dave', 'person_suspended', false],
    ]);
  });

  it('leaves out people whose only grants are for other doors or from another customer', () => {
    const snapshot = base().grant('g-cross', { accessLevelId: 'cage-always', customerId: 'globex', personId: 'bob' }).build();
    expect(whoMayOpen(snapshot, 'd-cage', MONDAY_NOON).map((a) => a.personId)).toEqual(['alice']);
    expect(whoMayOpen(snapshot, 'd-lobby', MONDAY_NOON).map((a) => a.personId)).toEqual(['carol']);
  });

  it('agrees with evaluateAccess person by person', () => {
    const snapshot = base()
      .patch('customers', 'acme', { serviceEnd: MONDAY_NOON + 1 })
      .build();
    const answers = whoMayOpen(snapshot, 'd-suite', MONDAY_NOON);
    expect(answers.length).toBeGreaterThan(0);
    for (const { personId, ...answer } of answers) {
      expect(answer).toEqual(evaluateAccess(snapshot, personId, 'd-suite', MONDAY_NOON));
    }
  });

  it('unknown door: nobody', () => {
    expect(whoMayOpen(base().build(), 'd-nowhere', MONDAY_NOON)).toEqual([]);
  });
});

describe('personsCoveredByDoors', () => {
  // One person per case, all of acme unless stated, each with one grant on the cage door.
  const population = (): SnapshotBuilder =>
    base()
      .customer('ended', { serviceEnd: EARLIER })
      .customer('purged', { serviceEnd: EARLIER, purgedAt: EARLIER + 1 })
      .customer('future-customer', { serviceStart: LATER })
      .person('current', 'acme')
      .person('future-grant', 'acme')
      .person('expired-grant', 'acme')
      .person('suspended', 'acme', { status: 'suspended' })
      .person('restricted', 'acme', { status: 'restricted' })
      .person('expired-person', 'acme', { validUntil: EARLIER })
      .person('future-person', 'acme', { validFrom: LATER })
      .person('grant-after-person-ends', 'acme', { validUntil: LATER })
      .person('of-ended-customer', 'ended')
      .person('of-purged-customer', 'purged')
      .person('of-future-customer', 'future-customer')
      .grant('c1', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'current' })
      .grant('c2', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'future-grant', validFrom: LATER })
      .grant('c3', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'expired-grant', validUntil: EARLIER })
      .grant('c4', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'suspended' })
      .grant('c5', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'restricted' })
      .grant('c6', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'expired-person' })
      .grant('c7', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'future-person' })
      .grant('c8', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'grant-after-person-ends', validFrom: LATER + 1 })
      .grant('c9', { accessLevelId: 'cage-always', customerId: 'ended', personId: 'of-ended-customer' })
      .grant('c10', { accessLevelId: 'cage-always', customerId: 'purged', personId: 'of-purged-customer' })
      .grant('c11', { accessLevelId: 'cage-always', customerId: 'future-customer', personId: 'of-future-customer' });

  it.each([
    ['current grant', 'current', true],
    ['future grant', 'future-grant', true],
    ['only an expired grant', 'expired-grant', false],
    ['suspended person', 'suspended', false],
    ['restricted person', 'restricted', false],
    ['expired person', 'expired-person', false],
    ['person valid only later', 'future-person', true],
    ['grant starting after the person ends', 'grant-after-person-ends', false],
    ['customer service ended', 'of-ended-customer', false],
    ['customer purged', 'of-purged-customer', false],
    ['customer not started yet', 'of-future-customer', true],
    ['alice (person grant on the door)', 'alice', true],
    ['bob (no grant on the cage)', 'bob', false],
  ])('%s: %s covered = %s', (_name, personId, covered) => {
    expect(personsCoveredByDoors(population().build(), ['d-cage'], T).has(personId)).toBe(covered);
  });

  it('unions over doors, ignores schedules and lockdown, and skips unknown doors', () => {
    const snapshot = base().patch('zones', 'suite-1', { lockdown: true }).build();
    // At 19:00 the suite's office schedule is closed and the zone is locked down: still covered.
    expect([...personsCoveredByDoors(snapshot, ['d-suite', 'd-lobby', 'd-nowhere'], MONDAY_19)].sort()).toEqual(['alice', 'bob', 'carol']);
    expect([...personsCoveredByDoors(snapshot, ['d-cage'], MONDAY_19)]).toEqual(['alice']);
    expect(personsCoveredByDoors(snapshot, ['d-nowhere'], MONDAY_19).size).toBe(0);
    expect(personsCoveredByDoors(snapshot, [], MONDAY_19).size).toBe(0);
  });

  it('a grant of customer A naming a person of customer B does not put B on the reader', () => {
    const snapshot = base().grant('g-cross', { accessLevelId: 'cage-always', customerId: 'acme', personId: 'carol' }).build();
    expect(personsCoveredByDoors(snapshot, ['d-cage'], T).has('carol')).toBe(false);
  });

  it('drops a person at the exact end of service', () => {
    const END = instant('2026-03-30T17:00:00+02:00');
    const snapshot = base().patch('customers', 'acme', { serviceEnd: END }).build();
    expect(personsCoveredByDoors(snapshot, ['d-cage'], END - 1).has('alice')).toBe(true);
    expect(personsCoveredByDoors(snapshot, ['d-cage'], END).has('alice')).toBe(false);
  });
});
