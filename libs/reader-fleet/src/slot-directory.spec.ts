import { describe, expect, it } from '@jest/globals';
import { SlotDirectory, type SlotRow } from './slot-directory.js';

const row = (readerId: string, slot: number, state: SlotRow['state'], templateId = `t${slot}`): SlotRow => ({
  readerId,
  slot,
  templateId,
  personId: `p-${templateId}`,
  customerId: 'c1',
  state,
});

function directory(rows: SlotRow[], reloadDelayMs = 60_000) {
  const loads = { count: 0, fail: false };
  const stale: string[] = [];
  const dir = new SlotDirectory(
    async () => {
      loads.count++;
      if (loads.fail) throw new Error('database away');
      return [...rows];
    },
    { reloadDelayMs, onStale: (err) => stale.push((err as Error).message) },
  );
  return { dir, loads, rows, stale };
}

describe('SlotDirectory', () => {
  it.each([
    ['a stored slot', 'r1', 1, { templateId: 't1', personId: 'p-t1', customerId: 'c1', state: 'stored' }],
    ['a slot being deleted', 'r1', 2, { templateId: 't2', personId: 'p-t2', customerId: 'c1', state: 'deleting' }],
    ['a slot still being stored (not verified on the module)', 'r1', 3, null],
    ['an unknown slot', 'r1', 4, null],
    ['the same slot on another reader', 'r2', 1, null],
  ])('%s', async (_case, readerId, slot, expected) => {
    const { dir } = directory([row('r1', 1, 'stored'), row('r1', 2, 'deleting'), row('r1', 3, 'storing')]);
    expect(await dir.owner(readerId, slot)).toEqual(expected);
  });

  it('serves from memory until invalidated, then reloads once for concurrent lookups', async () => {
    const { dir, loads, rows } = directory([row('r1', 1, 'stored')]);
    await dir.owner('r1', 1);
    await dir.owner('r1', 1);
    expect(loads.count).toBe(1);

    rows.push(row('r1', 5, 'stored'));
    expect(await dir.owner('r1', 5)).toBeNull(); // not invalidated: the cache answers
    dir.invalidate();
    const [a, b] = await Promise.all([dir.owner('r1', 5), dir.owner('r1', 1)]);
    expect([a?.templateId, b?.templateId]).toEqual(['t5', 't1']);
    expect(loads.count).toBe(2);
  });

  it('does not keep a failed load: the next lookup tries again', async () => {
    const { dir, loads } = directory([row('r1', 1, 'stored')]);
    loads.fail = true;
    await expect(dir.owner('r1', 1)).rejects.toThrow('database away');
    loads.fail = false;
    expect((await dir.owner('r1', 1))?.templateId).toBe('t1');
    expect(loads.count).toBe(2);
  });

  it('keeps answering from the last map it read while a reload fails (degraded mode), and says so once per outage', async () => {
    const { dir, loads, rows, stale } = directory([row('r1', 1, 'stored')]);
    expect((await dir.owner('r1', 1))?.templateId).toBe('t1');
    // A write of the library failed against the unreachable database: its finally invalidated the map.
    loads.fail = true;
    dir.invalidate();
    expect((await dir.owner('r1', 1))?.templateId).toBe('t1');
    expect((await dir.owner('r1', 7)) ?? null).toBeNull();
    expect(stale).toEqual(['database away']);
    // Back: the next lookup reads the database again.
    loads.fail = false;
    rows.push(row('r1', 7, 'stored'));
    expect((await dir.owner('r1', 7))?.templateId).toBe('t7');
    loads.fail = true;
    dir.invalidate();
    await dir.owner('r1', 7);
    expect(stale).toEqual(['database away', 'database away']);
  });

  it('reloads by itself shortly after a change, so the map it would fall back on is that of the last change', async () => {
    const { dir, loads, rows } = directory([row('r1', 1, 'stored')], 0);
    await dir.owner('r1', 1);
    rows.push(row('r1', 2, 'stored'));
    dir.invalidate();
    dir.invalidate(); // a burst of changes reloads once
    await new Promise((r) => setTimeout(r, 20));
    expect(loads.count).toBe(2);
    loads.fail = true;
    expect((await dir.owner('r1', 2))?.templateId).toBe('t2');
    expect(loads.count).toBe(2); // no lookup-time reload: the map was current
  });

  it('a write that names its readers reloads only theirs, and a load that read before a later write of that reader is not current', async () => {
    const table = [row('r1', 1, 'stored', 'a'), row('r2', 1, 'stored', 'b')];
    const calls: Array<string[] | 'all'> = [];
    const gates: Array<() => void> = [];
    const dir = new SlotDirectory(
      (readerIds) => {
        calls.push(readerIds ? [...readerIds] : 'all');
        const rows = table.filter((r) => !readerIds || readerIds.includes(r.readerId)).map((r) => ({ ...r })); // read when called
        return new Promise((resolve) => gates.push(() => resolve(rows)));
      },
      { reloadDelayMs: 60_000 },
    );
    const first = dir.owner('r1', 1);
    gates.shift()!();
    expect((await first)?.templateId).toBe('a');

    table[0] = row('r1', 1, 'stored', 'a2');
    dir.invalidate(['r1']);
    const second = dir.owner('r1', 1); // reads r1 now: a2
    table[0] = row('r1', 1, 'stored', 'a3');
    dir.invalidate(['r1']); // while that read is on its way
    gates.shift()!();
    expect((await second)?.templateId).toBe('a2');
    const third = dir.owner('r1', 1); // the a2 read is older than the last write: read again
    gates.shift()!();
    expect((await third)?.templateId).toBe('a3');
    expect((await dir.owner('r2', 1))?.templateId).toBe('b'); // r2 was never invalidated: from memory
    expect(calls).toEqual(['all', ['r1'], ['r1']]);
  });
});
