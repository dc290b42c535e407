import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { LoopPriority } from '@acs/clock';
import { TurnGate, yieldToDoors } from './doors-first.js';

describe('yieldToDoors (the first middleware)', () => {
  const req = {} as Request;
  const res = {} as Response;

  it('passes a request straight on when no door work is in flight', () => {
    let passed = 0;
    yieldToDoors(new LoopPriority())(req, res, (() => void passed++) as NextFunction);
    expect(passed).toBe(1);
  });

  it('holds a request while a badge-in is in flight and passes it on when the door work ends', async () => {
    const priority = new LoopPriority(10_000, 10_000);
    const gate = yieldToDoors(priority);
    const end = priority.begin();
    let passed = 0;
    gate(req, res, (() => void passed++) as NextFunction);
    await turn();
    expect(passed).toBe(0);
    end();
    for (let i = 0; i < 3 && passed === 0; i++) await turn();
    expect(passed).toBe(1);
  });
});

describe('TurnGate (one new request per turn of the loop)', () => {
  it('lets the first of a turn go at once and the rest one per turn, in arrival order', async () => {
    const gate = new TurnGate();
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) gate.enter(() => ran.push(name));
    expect(ran).toEqual(['a']);
    expect(gate.waiting).toBe(3);
    // Counted after each turn: never more than one more than the turn before.
    const seen: number[] = [];
    for (let i = 0; i < 10 && ran.length < 4; i++) {
      await turn();
      seen.push(ran.length);
    }
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
    expect(seen.every((n, i) => n - (i === 0 ? 1 : seen[i - 1]) <= 1)).toBe(true);
    expect(gate.waiting).toBe(0);
  });

  it('lets a request go at once again once the queue has drained and a turn has passed', async () => {
    const gate = new TurnGate();
    let ran = 0;
    gate.enter(() => ran++);
    gate.enter(() => ran++);
    for (let i = 0; i < 5 && ran < 2; i++) await turn();
    await turn();
    gate.enter(() => ran++);
    expect(ran).toBe(3);
  });

  it('holds the second request of a turn in the middleware too', () => {
    const gate = yieldToDoors(new LoopPriority(), new TurnGate());
    let passed = 0;
    gate(req0, res0, (() => void passed++) as NextFunction);
    gate(req0, res0, (() => void passed++) as NextFunction);
    expect(passed).toBe(1);
  });
});

const req0 = {} as Request;
const res0 = {} as Response;
