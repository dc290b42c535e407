import { describe, expect, it } from '@jest/globals';
import { EventSequencer, SequenceTracker } from './sequence.js';

describe('SequenceTracker', () => {
  it('accepts each seq once and reports duplicates', () => {
    const t = new SequenceTracker();
    expect(t.accept('c1', 100, 1)).toEqual({ kind: 'new', fillsGap: false, newEpoch: false, gap: undefined });
    expect(t.accept('c1', 100, 1)).toEqual({ kind: 'duplicate' });
    expect(t.accept('c1', 100, 2).kind).toBe('new');
    expect(t.contiguous('c1')).toEqual({ epoch: 100, seq: 2 });
  });

  it('notices a gap, lets late arrivals fill it and acknowledges only the contiguous prefix', () => {
    const t = new SequenceTracker();
    t.accept('c1', 100, 1);
    expect(t.accept('c1', 100, 5)).toMatchObject({ kind: 'new', gap: { from: 2, to: 4 } });
    expect(t.missing('c1')).toEqual([2, 3, 4]);
    expect(t.contiguous('c1')).toEqual({ epoch: 100, seq: 1 });
    expect(t.accept('c1', 100, 3)).toMatchObject({ kind: 'new', fillsGap: true });
    expect(t.accept('c1', 100, 3)).toEqual({ kind: 'duplicate' });
    t.accept('c1', 100, 2);
    t.accept('c1', 100, 4);
    expect(t.missing('c1')).toEqual([]);
    expect(t.contiguous('c1')).toEqual({ epoch: 100, seq: 5 });
  });

  it('restarts numbering on a newer epoch and refuses an older one', () => {
    const t = new SequenceTracker();
    t.accept('c1', 100, 7);
    expect(t.accept('c1', 200, 1)).toMatchObject({ kind: 'new', newEpoch: true });
    expect(t.accept('c1', 100, 8)).toEqual({ kind: 'stale-epoch' });
  });

  it('keeps controllers apart and can be seeded from a durable record', () => {
    const t = new SequenceTracker();
    t.restore('c1', 100, 10);
    expect(t.accept('c1', 100, 10)).toEqual({ kind: 'duplicate' });
    expect(t.accept('c2', 100, 10)).toMatchObject({ kind: 'new', gap: { from: 1, to: 9 } });
  });
});

describe('EventSequencer', () => {
  it('numbers from 1', () => {
    const s = new EventSequencer(42);
    expect([s.next(), s.next(), s.current]).toEqual([1, 2, 2]);
  });
});
