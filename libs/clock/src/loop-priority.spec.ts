import { performance } from 'node:perf_hooks';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { LoopPriority } from './loop-priority.js';

/** Settles pending microtasks and `n` turns of the loop. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

describe('LoopPriority', () => {
  it('lets work go at once, without a promise, when no door work is in flight', () => {
    const p = new LoopPriority();
    expect(p.busy).toBe(false);
    expect(p.yieldToDoors()).toBeUndefined();
  });

  it('holds work while door work is in flight and lets it go when the door work ends', async () => {
    const p = new LoopPriority(1_000, 1_000);
    const end = p.begin();
    expect(p.busy).toBe(true);
    let went = false;
    void p.yieldToDoors()!.then(() => (went = true));
    await turns(3);
    expect(went).toBe(false);
    expect(p.waiting).toBe(1);
    end();
    end(); // a second end is harmless: the count does not go below zero
    await turns(2);
    expect(went).toBe(true);
    expect(p.busy).toBe(false);
    expect(p.waiting).toBe(0);
  });

  it('holds until the last of several door attempts ends', async () => {
    const p = new LoopPriority(1_000, 1_000);
    const a = p.begin();
    const b = p.begin();
    let went = false;
    void p.yieldToDoors()!.then(() => (went = true));
    a();
    await turns(3);
    expect(went).toBe(false);
    b();
    await turns(2);
    expect(went).toBe(true);
  });

  it('lets waiting work go after maxWaitMs even when the doors stay busy (nothing starves)', async () => {
    const p = new LoopPriority(15, 10_000);
    const end = p.begin();
    const t0 = performance.now();
    await p.yieldToDoors();
    const waited = performance.now() - t0;
    expect(p.busy).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(14);
    expect(waited).toBeLessThan(1_000);
    end();
  });

  it('counts a door attempt as in flight for at most maxHoldMs (an offline controller holds nothing back)', async () => {
    const p = new LoopPriority(10_000, 15);
    p.begin(); // never ended
    expect(p.busy).toBe(true);
    await sleep(40);
    expect(p.busy).toBe(false);
    expect(p.yieldToDoors()).toBeUndefined();
  });

  it('lets waiting work go one per turn of the loop, in arrival order, so a door arriving between two gets in', async () => {
    const p = new LoopPriority(10_000, 10_000);
    const end = p.begin();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) void p.yieldToDoors()!.then(() => order.push(name));
    end();
    // The first goes on the next turn; a new door attempt starts right after it.
    while (order.length === 0) await turn();
    expect(order).toEqual(['a']);
    const again = p.begin();
    await turns(5);
    expect(order).toEqual(['a']);
    again();
    await turns(6);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('keeps arrival order for work that asks while earlier work still waits, doors or not', async () => {
    const p = new LoopPriority(10_000, 10_000);
    const end = p.begin();
    const order: string[] = [];
    void p.yieldToDoors()!.then(() => order.push('first'));
    end();
    // No door work now, but one waiter is still to be let go: the newcomer queues behind it.
    const late = p.yieldToDoors();
    expect(late).toBeDefined();
    void late!.then(() => order.push('second'));
    await turns(4);
    expect(order).toEqual(['first', 'second']);
  });
});
