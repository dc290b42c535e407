import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { FingerCountsPort } from './finger-counts.port.js';

const manager = { marker: 'the caller transaction' } as unknown as EntityManager;

describe('FingerCountsPort', () => {
  it('counts nobody until the composition root connects a source (one reserved slot each)', async () => {
    expect(await new FingerCountsPort().counts(manager)).toEqual(new Map());
  });

  it('asks the connected source inside the caller transaction', async () => {
    const port = new FingerCountsPort();
    const seen: EntityManager[] = [];
    port.connect({
      counts: (m) => {
        seen.push(m);
        return Promise.resolve(new Map([['person-1', 3]]));
      },
    });
    expect(await port.counts(manager)).toEqual(new Map([['person-1', 3]]));
    expect(seen).toEqual([manager]);
  });
});
