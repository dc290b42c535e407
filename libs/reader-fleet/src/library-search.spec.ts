import { describe, expect, it } from '@jest/globals';
import type { FingerprintReader } from '@acs/fingerprint';
import { searchLibraries, type StoredSlot } from './library-search.js';

/** A module whose library maps slots to template bytes; Search finds the lowest matching slot in range. */
function module(library: Record<number, string>, capacity = 16) {
  const calls: Array<[number, number]> = [];
  let buffer = '';
  const reader = {
    info: { capacity },
    downloadTemplate: async (_b: number, t: Buffer) => void (buffer = t.toString()),
    search: async (_b: number, start: number, count: number) => {
      calls.push([start, count]);
      const hit = Object.keys(library)
        .map(Number)
        .sort((a, b) => a - b)
        .find((s) => s >= start && s < start + count && library[s] === buffer);
      return hit === undefined ? null : { pageId: hit, score: 100 };
    },
  };
  return { reader: reader as unknown as FingerprintReader, calls };
}

function readers(modules: Record<string, ReturnType<typeof module>>, away = new Set<string>()) {
  const used: string[] = [];
  return {
    used,
    access: {
      isReady: (id: string) => id in modules,
      templateSizeOf: () => 5,
      withReader: async <T>(id: string, job: (r: FingerprintReader) => Promise<T>) => {
        used.push(id);
        if (away.has(id)) throw new Error('gone');
        return job(modules[id].reader);
      },
    },
  };
}

const slot = (readerId: string, s: number, templateId: string): StoredSlot => ({ readerId, slot: s, templateId });

describe('searchLibraries', () => {
  it('searches the reader covering the most candidates first and stops at a match', async () => {
    const mods = { small: module({ 1: 'aaaaa' }), big: module({ 1: 'aaaaa', 2: 'bbbbb', 3: 'probe' }) };
    const r = readers(mods);
    const stored = [slot('small', 1, 'A'), slot('big', 1, 'A'), slot('big', 2, 'B'), slot('big', 3, 'P')];

    const result = await searchLibraries(r.access, stored, Buffer.from('probe'), new Set(['A', 'B', 'P']));

    expect(result.match).toBe('P');
    expect(r.used).toEqual(['big']);
  });

  it('steps around a hit on a slot that is not a candidate (the finger being replaced)', async () => {
    const mods = { door: module({ 2: 'probe', 9: 'probe' }) };
    const r = readers(mods);
    const stored = [slot('door', 2, 'OLD'), slot('door', 9, 'OTHER')];

    const result = await searchLibraries(r.access, stored, Buffer.from('probe'), new Set(['OTHER']));

    expect(result.match).toBe('OTHER');
    expect(mods.door.calls[0]).toEqual([0, 16]);
  });

  it('reports what it covered when nothing matches, leaving an unreachable reader uncovered', async () => {
    const mods = { a: module({ 1: 'xxxxx' }), b: module({ 1: 'yyyyy' }) };
    const r = readers(mods, new Set(['b']));
    const stored = [slot('a', 1, 'X'), slot('b', 1, 'Y')];

    const result = await searchLibraries(r.access, stored, Buffer.from('probe'), new Set(['X', 'Y']));

    expect(result).toEqual({ match: null, covered: new Set(['X']) });
  });

  it('ignores slots of other template sizes and non-candidates', async () => {
    const r = readers({ a: module({ 1: 'probe' }) });
    const result = await searchLibraries({ ...r.access, templateSizeOf: () => 768 }, [slot('a', 1, 'X')], Buffer.from('probe'), new Set(['X']));
    expect(result).toEqual({ match: null, covered: new Set() });
    expect(r.used).toEqual([]);
  });
});
