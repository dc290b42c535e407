import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { fuzzSettings } from '../../../test/support/fuzz.js';
import { SlotDirectory, type SlotRow } from './slot-directory.js';

const READERS = ['r0', 'r1'];
const SLOTS = [0, 1];

type Command =
  | { kind: 'write'; reader: number; slot: number; template: number | null; scope: 'reader' | 'all' }
  | { kind: 'lookup'; reader: number; slot: number; wait: boolean }
  | { kind: 'step' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    reader: fc.nat(1),
    slot: fc.nat(1),
    template: fc.option(fc.nat(3), { nil: null }),
    scope: fc.constantFrom('reader' as const, 'all' as const),
  }),
  fc.record({ kind: fc.constant('lookup' as const), reader: fc.nat(1), slot: fc.nat(1), wait: fc.boolean() }),
  fc.constant({ kind: 'step' as const }),
);

/**
 * The directory against the table it caches: every write is followed by an invalidation naming its
 * reader (or everything), as the library's writes do, and loads read the table when called (as a
 * prepared statement on SQLite's shared connection does) but resolve in an order fast-check's
 * scheduler picks. A lookup must answer a value the slot held at some moment between the lookup's
 * call and its answer: never one older than the last write before it was asked.
 */
jest.setTimeout(60_000);

describe('SlotDirectory: lookups against interleaved writes, invalidations and loads', () => {
  const { seed, factor } = fuzzSettings();

  it('never answers with a value older than the lookup', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(command, { maxLength: 40 }), async (s, commands) => {
        const table = new Map<string, number>(); // `${reader}:${slot}` -> template
        let version = 0;
        const history = new Map<string, Array<{ version: number; template: number | null }>>();
        const key = (r: number, slot: number) => `${READERS[r]}:${slot}`;
        const valueAt = (k: string, v: number) => {
          let out: number | null = null;
          for (const h of history.get(k) ?? []) if (h.version <= v) out = h.template;
          return out;
        };
        const load = (readerIds?: readonly string[]) => {
          const rows: SlotRow[] = [];
          for (const [k, t] of table) {
            const [readerId, slot] = k.split(':');
            if (readerIds && !readerIds.includes(readerId)) continue;
            rows.push({ readerId, slot: Number(slot), templateId: `t${t}`, personId: `p${t}`, customerId: 'c', state: 'stored' });
          }
          return s.schedule(Promise.resolve(rows), `load ${readerIds?.join(',') ?? 'all'}`);
        };
        const dir = new SlotDirectory(load, { reloadDelayMs: 0 });
        const checks: Array<Promise<void>> = [];
        const stale: Array<{ key: string; got: number | null; possible: Array<number | null> }> = [];
        for (const c of commands) {
          if (c.kind === 'write') {
            const k = key(c.reader, c.slot);
            if (c.template === null) table.delete(k);
            else table.set(k, c.template);
            version++;
            history.set(k, [...(history.get(k) ?? []), { version, template: c.template }]);
            dir.invalidate(c.scope === 'all' ? undefined : [READERS[c.reader]]);
          } else if (c.kind === 'lookup') {
            const k = key(c.reader, c.slot);
            const asked = version;
            const check = dir.owner(READERS[c.reader], SLOTS[c.slot]).then((owner) => {
              const answered = version;
              const got = owner === null ? null : Number(owner.templateId.slice(1));
              const possible = new Set<number | null>();
              for (let v = asked; v <= answered; v++) possible.add(valueAt(k, v));
              if (!possible.has(got)) stale.push({ key: k, got, possible: [...possible] });
            });
            checks.push(check);
            if (c.wait) {
              let settled = false;
              void check.finally(() => (settled = true)).catch(() => undefined);
              for (let i = 0; !settled; i++) {
                if (i > 1000) throw new Error('a lookup never settled');
                if (s.count() > 0) await s.waitOne();
                else await new Promise((r) => setImmediate(r));
              }
            }
          } else if (s.count() > 0) {
            await s.waitOne();
          }
        }
        for (;;) {
          await new Promise((r) => setTimeout(r, 0)); // background reloads (reloadDelayMs 0) get scheduled
          if (s.count() === 0) break;
          await s.waitAll();
        }
        await Promise.all(checks);
        expect(stale).toEqual([]);
      }),
      { seed, numRuns: 500 * factor },
    );
  });
});
