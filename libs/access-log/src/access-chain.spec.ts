import { describe, expect, it } from '@jest/globals';
import { AccessChainVerifier, accessEventHash, chainOnto, type ChainedAccessFields } from './access-chain.js';
import { GENESIS_HASH } from './access-chain.js';
import type { AccessCredential, AccessEvent } from './model.js';

const CUSTOMER = '0193a000-0000-7000-8000-000000000001';

function chain(n: number, credentialOf: (i: number) => AccessCredential | null = () => null): AccessEvent[] {
  const fields: ChainedAccessFields[] = Array.from({ length: n }, (_, i) => ({
    id: `0193a000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`,
    chainId: CUSTOMER,
    seq: 0,
    customerId: CUSTOMER,
    personId: 'p1',
    siteId: 's1',
    zoneId: 'z1',
    doorId: 'd1',
    readerId: 'r1',
    direction: 'entry',
    result: 'granted',
    reason: 'granted',
    kind: 'attempt',
    attemptId: `a${i + 1}`,
    occurredAt: 1_790_000_000_000 + i,
    recordedAt: 1_790_000_000_100 + i,
    prevHash: '',
    credential: credentialOf(i),
    degraded: false,
  }));
  return chainOnto({ seq: 0, hash: GENESIS_HASH }, fields).events;
}

function verify(rows: AccessEvent[]) {
  const v = new AccessChainVerifier(CUSTOMER);
  for (const r of rows) if (!v.push(r)) break;
  return v.verdict();
}

describe(AccessChainVerifier.name, () => {
  it('accepts an intact chain and reports its head', () => {
    const rows = chain(5);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[1].prevHash).toBe(rows[0].hash);
    expect(verify(rows)).toEqual({ chainId: CUSTOMER, ok: true, checked: 5, headSeq: 5, headHash: rows[4].hash });
  });

  it('accepts an empty chain', () => {
    expect(verify([])).toEqual({ chainId: CUSTOMER, ok: true, checked: 0, headSeq: null, headHash: GENESIS_HASH });
  });

  it('covers every field: changing any one changes the hash', () => {
    const [e] = chain(1);
    const variants: Array<Partial<AccessEvent>> = [
      { personId: 'p2' },
      { doorId: 'd2' },
      { result: 'denied' },
      { reason: 'outside_schedule' },
      { occurredAt: e.occurredAt + 1 },
      { recordedAt: e.recordedAt + 1 },
      { customerId: null },
      { attemptId: 'other' },
      { direction: 'exit' },
      { kind: 'follow_up' },
      { credential: 'card' },
    ];
    for (const v of variants) expect(accessEventHash({ ...e, ...v })).not.toBe(e.hash);
  });

  it('hashes a row without a credential exactly as before credentials existed (version 1), so stored chains still verify', () => {
    // Computed with the version-1 code before the credential column: any change here breaks every stored chain.
    expect(chain(2).map((r) => r.hash)).toEqual([
      '8404835e17568721ec5f062cdda64ff26b79e766347a4ef4556858cacded96a6',
      '82529eb056b2d968f2f17dc7bf5d67708eefd3d1fd5465a63f8d99ad8d965b23',
    ]);
  });

  it('covers the credential of a row that has one: each kind hashes differently, and none as the same row without it', () => {
    const hashes = [null, ...(['fingerprint', 'card', 'card+pin', 'card+fingerprint', 'pin'] as const)].map((c) => chain(1, () => c)[0].hash);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('accepts a chain mixing rows with and without a credential', () => {
    const rows = chain(6, (i) => (['card+pin', null, 'fingerprint'] as const)[i % 3]);
    expect(verify(rows)).toMatchObject({ ok: true, checked: 6, headSeq: 6 });
  });

  it.each<[string, (rows: AccessEvent[]) => AccessEvent[], { seq: number; reason: string }]>([
    ['an edited result', (r) => r.map((x) => (x.seq === 3 ? { ...x, result: 'denied' } : x)), { seq: 3, reason: 'hash-mismatch' }],
    ['an edited person', (r) => r.map((x) => (x.seq === 2 ? { ...x, personId: 'someone-else' } : x)), { seq: 2, reason: 'hash-mismatch' }],
    ['a deleted middle row', (r) => r.filter((x) => x.seq !== 3), { seq: 4, reason: 'sequence-gap' }],
    ['a deleted first row', (r) => r.slice(1), { seq: 2, reason: 'sequence-gap' }],
    [
      'a deleted row with the rest renumbered',
      (r) => r.filter((x) => x.seq !== 2).map((x) => (x.seq > 2 ? { ...x, seq: x.seq - 1 } : x)),
      { seq: 2, reason: 'prev-hash-mismatch' },
    ],
    [
      'a re-hashed edit that forgets the next link',
      (r) => r.map((x) => (x.seq === 2 ? { ...x, reason: 'entered', hash: accessEventHash({ ...x, reason: 'entered' }) } : x)),
      { seq: 3, reason: 'prev-hash-mismatch' },
    ],
    ['an edited credential', (r) => r.map((x) => (x.seq === 2 ? { ...x, credential: 'card' } : x)), { seq: 2, reason: 'hash-mismatch' }],
    ['a credential removed', (r) => r.map((x) => (x.seq === 2 ? { ...x, credential: null } : x)), { seq: 2, reason: 'hash-mismatch' }],
    ['a credential added to a row without one', (r) => r.map((x) => (x.seq === 3 ? { ...x, credential: 'card' } : x)), { seq: 3, reason: 'hash-mismatch' }],
    ['a row moved in from another chain', (r) => r.map((x) => (x.seq === 4 ? { ...x, chainId: 'other' } : x)), { seq: 4, reason: 'chain-mismatch' }],
  ])('names the first broken link after %s', (_label, tamper, expected) => {
    // Rows 1 and 2 carry a credential (version-2 hash), the others none (version 1).
    const rows = chain(5, (i) => (i < 2 ? 'card+pin' : null));
    const verdict = verify(tamper(rows));
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBreak).toMatchObject(expected);
    const broken = tamper(rows).find((x) => x.seq === expected.seq);
    expect(verdict.firstBreak?.id).toBe(broken?.id);
  });
});
