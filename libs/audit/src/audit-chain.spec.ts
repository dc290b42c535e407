import { describe, expect, it } from '@jest/globals';
import { auditHash, type ChainedAuditFields, ChainVerifier, GENESIS_HASH } from './audit-chain.js';

type Row = ChainedAuditFields & { prevHash: string; hash: string };

function chain(n: number): Row[] {
  const rows: Row[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields: ChainedAuditFields = {
      seq,
      id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      at: 1_790_000_000_000 + seq,
      actorType: 'staff',
      actorId: 'staff-1',
      role: 'admin',
      action: 'staff.create',
      targetType: 'staff',
      targetId: `t${seq}`,
      outcome: 'success',
      requestId: `r${seq}`,
      details: null,
    };
    const hash = auditHash(fields, prev);
    rows.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function verify(rows: Row[]) {
  const v = new ChainVerifier();
  for (const r of rows) if (!v.push(r)) break;
  return v.verdict();
}

describe(ChainVerifier.name, () => {
  it('accepts an intact chain and reports its head', () => {
    const rows = chain(5);
    expect(verify(rows)).toEqual({ ok: true, checked: 5, headSeq: 5, headHash: rows[4].hash });
  });

  it('accepts an empty chain', () => {
    expect(verify([])).toEqual({ ok: true, checked: 0, headSeq: null, headHash: GENESIS_HASH });
  });

  it.each<[string, (rows: Row[]) => Row[], { seq: number; reason: string }]>([
    ['an edited field', (r) => r.map((x) => (x.seq === 3 ? { ...x, outcome: 'failure' } : x)), { seq: 3, reason: 'hash-mismatch' }],
    ['an edited actor', (r) => r.map((x) => (x.seq === 2 ? { ...x, actorId: 'staff-2' } : x)), { seq: 2, reason: 'hash-mismatch' }],
    ['a deleted middle row', (r) => r.filter((x) => x.seq !== 3), { seq: 4, reason: 'sequence-gap' }],
    ['a deleted first row', (r) => r.slice(1), { seq: 2, reason: 'sequence-gap' }],
    [
      'a deleted row with the rest renumbered',
      (r) => r.filter((x) => x.seq !== 2).map((x) => (x.seq > 2 ? { ...x, seq: x.seq - 1 } : x)),
      { seq: 2, reason: 'prev-hash-mismatch' },
    ],
    [
      'a re-hashed edit that forgets the next link',
      (r) => r.map((x) => (x.seq === 2 ? { ...x, details: '{"n":1}', hash: auditHash({ ...x, details: '{"n":1}' }, x.prevHash) } : x)),
      { seq: 3, reason: 'prev-hash-mismatch' },
    ],
  ])('names the first broken link after %s', (_label, tamper, expected) => {
    const verdict = verify(tamper(chain(5)));
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBreak).toMatchObject(expected);
  });
});
