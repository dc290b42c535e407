import { describe, expect, it } from '@jest/globals';
import { AccessChainVerifier, accessEventHash, chainOnto, type ChainedAccessFields } from './access-chain.js';
import { GENESIS_HASH } from './access-chain.js';
import type { AccessEvent } from './model.js';

const CUSTOMER = '0193a000-0000-7000-8000-000000000001';

function chain(n: number): AccessEvent[] {
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
    ];
    for (const v of variants) expect(accessEventHash({ ...e, ...v })).not.toBe(e.hash);
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
    ['a row moved in from another chain', (r) => r.map((x) => (x.seq === 4 ? { ...x, chainId: 'other' } : x)), { seq: 4, reason: 'chain-mismatch' }],
  ])('names the first broken link after %s', (_label, tamper, expected) => {
    const rows = chain(5);
    const verdict = verify(tamper(rows));
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBreak).toMatchObject(expected);
    const broken = tamper(rows).find((x) => x.seq === expected.seq);
    expect(verdict.firstBreak?.id).toBe(broken?.id);
  });
});
