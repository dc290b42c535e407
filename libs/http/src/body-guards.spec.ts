import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './pagination.js';
import { jsonDepth } from './body-guards.js';

describe('jsonDepth', () => {
  it.each([
    [null, 0],
    ['text', 0],
    [{}, 1],
    [[1, 2], 1],
    [{ a: [{ b: 1 }] }, 3],
    [{ windows: [{ day: 1 }], x: [[[[]]]] }, 5],
  ])('%j is %i deep', (value, depth) => {
    expect(jsonDepth(value)).toBe(depth);
  });

  it('measures 100,000 levels without recursion and stops early when asked', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(jsonDepth(deep)).toBe(100_000);
    expect(jsonDepth(deep, 32)).toBe(33);
  });
});

describe('decodeCursor', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  it('round-trips a key', () => {
    expect(decodeCursor(encodeCursor({ t: 1764147600000, id: 'abc' }), { t: 'number', id: 'string' })).toEqual({ t: 1764147600000, id: 'abc' });
  });

  it.each([
    ['{"t":1e400,"id":"x"}'],
    ['{"t":-1e400,"id":"x"}'],
    ['{"t":1.5,"id":"x"}'],
    ['{"t":9007199254740993,"id":"x"}'],
    ['{"t":"1","id":"x"}'],
    ['[1]'],
    ['null'],
    ['not json'],
  ])('refuses %s', (key) => {
    expect(() => decodeCursor(b64(key), { t: 'number', id: 'string' })).toThrow(expect.objectContaining({ code: 'pagination.bad_cursor', status: 400 }));
  });

  it('refuses an oversized cursor before decoding it', () => {
    expect(() => decodeCursor('A'.repeat(10_000), { id: 'string' })).toThrow(expect.objectContaining({ code: 'pagination.bad_cursor' }));
  });
});
