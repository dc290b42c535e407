import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { indexSnapshot, type CredentialPolicy, type RegistrySnapshot } from '@acs/access-rules';
import { snapshotBuilder } from '@acs/access-rules/testing';
import { FakeClock } from '@acs/clock';
import type { CardRead, ResolvedCard } from '@acs/credentials';
import type { AttemptRequest, BadgeOutcome, SiteModel } from './badge-attempts.js';
import { credentialOf, CredentialAttempts } from './credential-attempts.js';
import type { ReaderBinding, Topology } from './topology.js';

const bind = (readerId: string, doorId: string | null, direction: 'entry' | 'exit' = 'entry'): [string, ReaderBinding] => [
  readerId,
  { readerId, siteId: 'site-1', doorId, direction },
];

/** One door per policy, each with an entry card reader `c-<door>` and an entry finger reader `f-<door>`. */
const POLICIES: CredentialPolicy[] = ['card', 'card+pin', 'card+fingerprint', 'fingerprint|card'];
const doorOf = (p: CredentialPolicy) => `d-${p.replace(/[+|]/g, '_')}`;

function model(): SiteModel {
  const b = snapshotBuilder().customer('acme').person('alice', 'acme').person('bob', 'acme');
  for (const p of POLICIES) b.zone(`z-${doorOf(p)}`, { credentialPolicy: p }).door(doorOf(p), `z-${doorOf(p)}`);
  const snapshot: RegistrySnapshot = b.build();
  const topology: Topology = {
    doors: new Map(),
    readers: new Map(POLICIES.map((p) => bind(`f-${doorOf(p)}`, doorOf(p)))),
    cardReaders: new Map([
      ...POLICIES.map((p) => bind(`c-${doorOf(p)}`, doorOf(p))),
      bind('c-exit', doorOf('card+fingerprint'), 'exit'),
      bind('c-loose', null),
    ]),
    byChannel: new Map(),
    controllers: new Map(),
  };
  return { snapshot, index: indexSnapshot(snapshot), topology };
}

const ALICE_CARD: CardRead = { format: 'wiegand', bitCount: 26, data: Buffer.from([1, 2, 3, 0x40]) };
const STRANGER_CARD: CardRead = { format: 'wiegand', bitCount: 26, data: Buffer.from([9, 9, 9, 0x40]) };
const aliceCard: ResolvedCard = { id: 'card-a', personId: 'alice', customerId: 'acme', state: 'active', validFrom: null, validUntil: null, pinSet: true };

class Rig {
  readonly clock = new FakeClock('2026-06-01T12:00:00Z');
  readonly decided: AttemptRequest[] = [];
  readonly awaiting: string[] = [];
  readonly pins: Array<[string | null, string]> = [];
  readonly m = model();
  readonly sut = new CredentialAttempts({
    attempts: {
      model: async () => this.m,
      decide: async (_model, a) => {
        this.decided.push(a);
        return { attemptId: `att-${this.decided.length}` } as BadgeOutcome;
      },
    },
    credentials: {
      resolveCardRead: async (read) => (read.data.equals(ALICE_CARD.data) ? aliceCard : null),
      verifyPin: async (cardId, pin) => {
        this.pins.push([cardId, pin]);
        return cardId === 'card-a' && pin === '2468' ? 'match' : 'mismatch';
      },
    },
    awaiting: (r) => void this.awaiting.push(r),
    clock: this.clock,
    threshold: 50,
    onOutcome: () => {},
    logger: { error: (m) => void this.errors.push(m) },
  });
  readonly errors: string[] = [];

  get last(): AttemptRequest | undefined {
    return this.decided[this.decided.length - 1];
  }
}

const at = (p: CredentialPolicy, kind: 'c' | 'f' = 'c') => `${kind}-${doorOf(p)}`;

describe('CredentialAttempts', () => {
  let rig: Rig;
  beforeEach(() => {
    jest.useFakeTimers();
    rig = new Rig();
  });
  afterEach(() => {
    rig.sut.stop();
    jest.useRealTimers();
    if (rig.errors.length > 0) throw new Error(`credential attempts logged errors: ${rig.errors.join('; ')}`);
  });

  it('a known card at a card door is identified by the card', async () => {
    await rig.sut.card(at('card'), ALICE_CARD);
    expect(rig.decided).toHaveLength(1);
    expect(rig.last).toMatchObject({ personId: 'alice', identifiedBy: ['card'], credential: 'card', ownerCustomerId: 'acme', readerIds: [at('card')] });
    expect(rig.last?.credentialDenial).toBeUndefined();
  });

  it('an unknown card is denied card_unknown and names nobody', async () => {
    await rig.sut.card(at('card'), STRANGER_CARD);
    expect(rig.last).toMatchObject({ personId: null, credentialDenial: 'card_unknown', credential: 'card' });
  });

  it('card + PIN: the card waits (amber), the right PIN completes it against that card', async () => {
    await rig.sut.card(at('card+pin'), ALICE_CARD);
    expect(rig.decided).toEqual([]);
    expect(rig.awaiting).toEqual([at('card+pin')]);
    await rig.sut.pin(at('card+pin'), '2468', false);
    expect(rig.pins).toEqual([['card-a', '2468']]);
    expect(rig.last).toMatchObject({ personId: 'alice', identifiedBy: ['card', 'pin'], credential: 'card+pin' });
  });

  it('card + wrong PIN is pin_wrong, attributed to the card holder', async () => {
    await rig.sut.card(at('card+pin'), ALICE_CARD);
    await rig.sut.pin(at('card+pin'), '1111', false);
    expect(rig.last).toMatchObject({ personId: 'alice', credentialDenial: 'pin_wrong', credential: 'card+pin' });
  });

  it('an unknown card still has its PIN checked (a dummy verification), then is card_unknown', async () => {
    await rig.sut.card(at('card+pin'), STRANGER_CARD);
    expect(rig.decided).toEqual([]);
    await rig.sut.pin(at('card+pin'), '2468', false);
    expect(rig.pins).toEqual([[null, '2468']]);
    expect(rig.last).toMatchObject({ personId: null, credentialDenial: 'card_unknown' });
  });

  it('no PIN within the window: second_factor_timeout at the deadline', async () => {
    await rig.sut.card(at('card+pin'), ALICE_CARD);
    rig.clock.advance(10_000);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(rig.last).toMatchObject({ credentialDenial: 'second_factor_timeout', credential: 'card' });
    expect(rig.decided).toHaveLength(1);
  });

  it('the cancel key ends the attempt: second_factor_missing; with nothing under way it records nothing', async () => {
    await rig.sut.pin(at('card+pin'), '', true);
    expect(rig.decided).toEqual([]);
    await rig.sut.card(at('card+pin'), ALICE_CARD);
    await rig.sut.pin(at('card+pin'), '', true);
    expect(rig.last).toMatchObject({ credentialDenial: 'second_factor_missing' });
    // The timer of the cancelled attempt must not fire a second record.
    rig.clock.advance(20_000);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(rig.decided).toHaveLength(1);
  });

  it('a reader that goes offline ends the attempt waiting there (second_factor_missing), and no timeout follows', async () => {
    await rig.sut.card(at('card+pin'), ALICE_CARD);
    await rig.sut.readerGone('c-other');
    expect(rig.decided).toEqual([]);
    await rig.sut.readerGone(at('card+pin'));
    // Ended before the card was judged (credentials.ts step 2): it names nobody.
    expect(rig.last).toMatchObject({ credentialDenial: 'second_factor_missing', personId: null, credential: 'card' });
    rig.clock.advance(20_000);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(rig.decided).toHaveLength(1);
  });

  it('a PIN with no card before it is second_factor_missing, credential pin', async () => {
    await rig.sut.pin(at('card+pin'), '2468', false);
    expect(rig.last).toMatchObject({ credentialDenial: 'second_factor_missing', credential: 'pin', personId: null });
  });

  it('card + finger of the same person is identified by both; another finger is factor_mismatch', async () => {
    await rig.sut.card(at('card+fingerprint'), ALICE_CARD);
    await rig.sut.finger(at('card+fingerprint', 'f'), { pageId: 1, score: 120 }, { personId: 'alice', customerId: 'acme' }, 0);
    expect(rig.last).toMatchObject({ personId: 'alice', identifiedBy: ['card', 'fingerprint'], credential: 'card+fingerprint' });
    expect(rig.last?.readerIds).toEqual([at('card+fingerprint'), at('card+fingerprint', 'f')]);

    await rig.sut.card(at('card+fingerprint'), ALICE_CARD);
    await rig.sut.finger(at('card+fingerprint', 'f'), { pageId: 2, score: 120 }, { personId: 'bob', customerId: 'acme' }, 0);
    expect(rig.last).toMatchObject({ credentialDenial: 'factor_mismatch', personId: null });
  });

  it('a card outside and a finger inside the door never combine', async () => {
    await rig.sut.card('c-exit', ALICE_CARD);
    await rig.sut.finger(at('card+fingerprint', 'f'), { pageId: 1, score: 120 }, { personId: 'alice', customerId: 'acme' }, 0);
    expect(rig.decided).toEqual([]);
    expect(rig.awaiting).toEqual(['c-exit', at('card+fingerprint', 'f')]);
  });

  it('a finger at a card-only door is credential_not_allowed', async () => {
    (rig.m.topology.readers as Map<string, ReaderBinding>).set('f-card-extra', {
      readerId: 'f-card-extra',
      siteId: 'site-1',
      doorId: doorOf('card'),
      direction: 'entry',
    });
    await rig.sut.finger('f-card-extra', { pageId: 1, score: 120 }, { personId: 'alice', customerId: 'acme' }, 0);
    expect(rig.last).toMatchObject({ credentialDenial: 'credential_not_allowed', credential: 'fingerprint' });
  });

  it('either credential: a card alone opens at a fingerprint|card door', async () => {
    await rig.sut.card(at('fingerprint|card'), ALICE_CARD);
    expect(rig.last).toMatchObject({ identifiedBy: ['card'], personId: 'alice' });
  });

  it('a card reader no door names goes to the common path (unknown_door there), without a credential verdict', async () => {
    await rig.sut.card('c-loose', ALICE_CARD);
    expect(rig.decided).toHaveLength(1);
    expect(rig.last?.credentialDenial).toBeUndefined();
    expect(rig.last?.identifiedBy).toBeUndefined();
  });

  it('ignores readers it does not know', async () => {
    await rig.sut.card('nobody', ALICE_CARD);
    expect(rig.decided).toEqual([]);
  });
});

describe('credentialOf', () => {
  it.each([
    [['card'], 'card'],
    [['pin', 'card'], 'card+pin'],
    [['fingerprint', 'card'], 'card+fingerprint'],
    [['fingerprint'], 'fingerprint'],
    [['pin'], 'pin'],
  ] as const)('%j -> %s', (kinds, name) => {
    expect(credentialOf(kinds)).toBe(name);
  });
});
