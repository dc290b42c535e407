import { describe, expect, it } from '@jest/globals';
import { validate, version } from 'uuid';
import { timeOrderedId } from './time-ordered-id.js';

describe('timeOrderedId', () => {
  it('gives valid, distinct, strictly increasing version 7 ids across several pool refills', () => {
    const ids = Array.from({ length: 2000 }, () => timeOrderedId());
    for (const id of ids) expect({ id, valid: validate(id), version: version(id) }).toEqual({ id, valid: true, version: 7 });
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('carries the current time in its first 48 bits', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1); // at most one borrowed millisecond
  });

  it('does not repeat the random part of ids made in different milliseconds', () => {
    const tails = new Set<string>();
    for (let i = 0; i < 300; i++) tails.add(timeOrderedId().slice(19));
    expect(tails.size).toBe(300);
  });
});
