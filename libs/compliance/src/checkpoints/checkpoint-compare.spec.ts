import { describe, expect, it } from '@jest/globals';
import type { ChainHeads } from './chain-heads.js';
import { compareWithCheckpoint, describeFinding, type CheckpointBody } from './checkpoint-compare.js';

const h = (seq: number, tag = 'a') => ({ seq, hash: `${tag}${seq}` });
const cp = (heads: ChainHeads): CheckpointBody => ({
  version: 1,
  checkpoint: 7,
  at: '2026-12-01T10:00:00.000Z',
  instance: 'default',
  reason: 'interval',
  prev: null,
  heads,
});
/** The database's rows: every position up to the head, hashed `<tag><seq>`. */
const rows =
  (db: ChainHeads, tag: Record<string, string> = {}) =>
  (chain: string, seq: number) => {
    const head = chain === 'audit' ? db.audit : db.history[chain];
    return head && seq <= head.seq ? `${tag[chain] ?? 'a'}${seq}` : null;
  };

describe('compareWithCheckpoint', () => {
  const witnessed = cp({ audit: h(50), history: { c1: h(10), c2: h(4), 'site:s1': h(3) } });
  const table: Array<{
    name: string;
    db: ChainHeads;
    tag?: Record<string, string>;
    erased?: string[];
    ok: boolean;
    findings: Array<[string, string, number, number | null]>;
  }> = [
    { name: 'same heads', db: { audit: h(50), history: { c1: h(10), c2: h(4), 'site:s1': h(3) } }, ok: true, findings: [] },
    { name: 'grown since', db: { audit: h(80), history: { c1: h(12), c2: h(4), 'site:s1': h(3), c3: h(1) } }, ok: true, findings: [] },
    { name: 'history tail cut', db: { audit: h(50), history: { c1: h(7), c2: h(4), 'site:s1': h(3) } }, ok: false, findings: [['c1', 'missing_tail', 10, 7]] },
    {
      name: 'audit tail cut',
      db: { audit: h(48), history: { c1: h(10), c2: h(4), 'site:s1': h(3) } },
      ok: false,
      findings: [['audit', 'missing_tail', 50, 48]],
    },
    { name: 'whole chain gone', db: { audit: h(50), history: { c1: h(10), c2: h(4) } }, ok: false, findings: [['site:s1', 'missing_tail', 3, null]] },
    {
      name: 'older copy grown past the checkpoint again',
      db: { audit: h(60), history: { c1: h(12), c2: h(4), 'site:s1': h(3) } },
      tag: { audit: 'b' },
      ok: false,
      findings: [['audit', 'rewritten', 50, 60]],
    },
    {
      name: 'purged since (recorded erasure)',
      db: { audit: h(55), history: { c1: h(10), 'site:s1': h(3) } },
      erased: ['c2'],
      ok: true,
      findings: [['c2', 'erased_since', 4, null]],
    },
    {
      name: 'erasure cannot excuse the audit chain',
      db: { audit: h(40), history: { c1: h(10), c2: h(4), 'site:s1': h(3) } },
      erased: ['audit'],
      ok: false,
      findings: [['audit', 'missing_tail', 50, 40]],
    },
  ];
  it.each(table)('$name', ({ db, tag, erased, ok, findings }) => {
    const r = compareWithCheckpoint(db, witnessed, rows(db, tag), (c) => (erased ?? []).includes(c));
    expect(r.ok).toBe(ok);
    expect(r.databaseOlder).toBe(!ok);
    expect(r.findings.map((f) => [f.chain, f.problem, f.checkpointSeq, f.databaseSeq])).toEqual(findings);
  });

  it('without a checkpoint there is nothing to compare', () => {
    expect(
      compareWithCheckpoint(
        { audit: null, history: {} },
        null,
        () => null,
        () => false,
      ),
    ).toEqual({ ok: true, checkpoint: null, databaseOlder: false, findings: [] });
  });

  it('names the chain and the sequence numbers', () => {
    expect(describeFinding({ chain: 'c1', problem: 'missing_tail', checkpointSeq: 10, databaseSeq: 7 })).toBe(
      'history chain c1: MISSING TAIL, the checkpoint saw seq 10, the database has head 7 (entries 8-10 gone)',
    );
  });
});
