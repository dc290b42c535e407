import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { LoopPriority } from '@acs/clock';
import { yieldToDoors } from './doors-first.js';

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
