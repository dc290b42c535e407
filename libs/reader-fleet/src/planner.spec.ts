import { describe, expect, it } from '@jest/globals';
import { deleteRuns, inRuns, nextOpState, planLibrary, type SlotFact } from './planner.js';

const slots = (...s: Array<[number, string, SlotFact['state']]>): SlotFact[] => s.map(([slot, templateId, state]) => ({ slot, templateId, state }));

describe('planLibrary', () => {
  it('stores desired templates in the lowest free slots and deletes what is no longer desired', async () => {
    const plan = planLibrary({ capacity: 10, desired: new Set(['a', 'b', 'c']), slots: slots([0, 'a', 'stored'], [1, 'x', 'stored'], [3, 'y', 'storing']) });
    expect(plan.deletes).toEqual([
      { slot: 1, templateId: 'x' },
      { slot: 3, templateId: 'y' },
    ]);
    // Slots 1 and 3 are still reserved until their deletes are verified.
    expect(plan.stores).toEqual([
      { templateId: 'b', slot: 2 },
      { templateId: 'c', slot: 4 },
    ]);
    expect(plan.unplaced).toEqual([]);
  });

  it('is a fixed point: planning again over its own result changes nothing', async () => {
    const first = planLibrary({ capacity: 5, desired: new Set(['a', 'b']), slots: [] });
    const after = first.stores.map((s) => ({ slot: s.slot, templateId: s.templateId, state: 'storing' as const }));
    const second = planLibrary({ capacity: 5, desired: new Set(['a', 'b']), slots: after });
    expect(second).toEqual({ stores: [], deletes: [], unplaced: [] });
  });

  it('never reuses a slot that is being deleted, and does not delete it twice', async () => {
    const plan = planLibrary({ capacity: 2, desired: new Set(['b']), slots: slots([0, 'a', 'deleting']) });
    expect(plan.deletes).toEqual([]);
    expect(plan.stores).toEqual([{ templateId: 'b', slot: 1 }]);
  });

  it('reports templates that do not fit instead of overwriting', async () => {
    const plan = planLibrary({ capacity: 1, desired: new Set(['a', 'b']), slots: slots([0, 'a', 'stored']) });
    expect(plan.stores).toEqual([]);
    expect(plan.unplaced).toEqual(['b']);
  });

  it('keeps one copy of a template found in two slots', async () => {
    const plan = planLibrary({ capacity: 4, desired: new Set(['a']), slots: slots([2, 'a', 'stored'], [0, 'a', 'storing']) });
    expect(plan.deletes).toEqual([{ slot: 2, templateId: 'a' }]);
    expect(plan.stores).toEqual([]);
  });

  it('empties a reader nobody may use any more', async () => {
    const plan = planLibrary({ capacity: 4, desired: new Set(), slots: slots([0, 'a', 'stored'], [1, 'b', 'storing']) });
    expect(plan.deletes.map((d) => d.slot)).toEqual([0, 1]);
  });
});

describe('nextOpState', () => {
  const pending = { state: 'pending' as const, attempts: 0, lastError: null };

  it('goes to done on success', async () => {
    expect(nextOpState(pending, { ok: true })).toEqual({ state: 'done', attempts: 1, lastError: null });
  });

  it('keeps a transiently failing op pending however often it fails (an unplugged reader loses nothing)', async () => {
    let p: ReturnType<typeof nextOpState> = pending;
    for (let i = 0; i < 50; i++) p = nextOpState(p, { ok: false, error: 'NOT_READY', transient: true });
    expect(p).toEqual({ state: 'pending', attempts: 50, lastError: 'NOT_READY' });
  });

  it('parks a permanently failing op as failed after the attempt limit', async () => {
    let p: ReturnType<typeof nextOpState> = pending;
    p = nextOpState(p, { ok: false, error: 'CONFIRMATION 0x18', transient: false }, 3);
    p = nextOpState(p, { ok: false, error: 'CONFIRMATION 0x18', transient: false }, 3);
    expect(p.state).toBe('pending');
    p = nextOpState(p, { ok: false, error: 'CONFIRMATION 0x18', transient: false }, 3);
    expect(p).toEqual({ state: 'failed', attempts: 3, lastError: 'CONFIRMATION 0x18' });
  });

  it('never leaves a terminal state', async () => {
    const done = { state: 'done' as const, attempts: 1, lastError: null };
    expect(nextOpState(done, { ok: false, error: 'x', transient: false })).toBe(done);
    const skipped = { state: 'skipped' as const, attempts: 0, lastError: 'superseded' };
    expect(nextOpState(skipped, { ok: true })).toBe(skipped);
  });
});

describe('deleteRuns', () => {
  it.each([
    [[], []],
    [[7], [{ start: 7, count: 1 }]],
    [[0, 1, 2, 3], [{ start: 0, count: 4 }]],
    [[3, 1, 2, 0], [{ start: 0, count: 4 }]],
    [
      [0, 1, 3, 4, 9],
      [
        { start: 0, count: 2 },
        { start: 3, count: 2 },
        { start: 9, count: 1 },
      ],
    ],
    [[5, 5, 6], [{ start: 5, count: 2 }]],
    [[255, 256, 257], [{ start: 255, count: 3 }]],
  ])('%j → %j', (slots, runs) => {
    expect(deleteRuns(slots)).toEqual(runs);
  });

  it.each([
    [
      [0, 1, 3, 4, 9],
      2,
      [
        { start: 0, count: 2 },
        { start: 3, count: 2 },
      ],
    ],
    [[9, 0, 2, 4], 1, [{ start: 0, count: 1 }]],
    [[0, 1, 2], 1, [{ start: 0, count: 3 }]],
    [[0, 2, 4], 0, []],
  ])('%j, at most %d run(s) → %j', (slots, maxRuns, runs) => {
    expect(deleteRuns(slots, maxRuns)).toEqual(runs);
  });

  it('tells which slots a run covers', () => {
    const runs = [
      { start: 0, count: 2 },
      { start: 5, count: 1 },
    ];
    expect([0, 1, 2, 4, 5, 6].map((s) => inRuns(runs, s))).toEqual([true, true, false, false, true, false]);
  });
});
