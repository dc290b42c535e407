import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ReplyBody } from '@acs/door-protocol';
import { DoorCommandError } from './door-command.types.js';
import { PendingCommands } from './pending-commands.js';

const reply = (requestId: string, ok = true): ReplyBody =>
  ({ v: 1, controllerId: 'ctl-a', requestId, ok, ts: 1, ...(ok ? {} : { code: 'door-busy', reason: 'held' }) }) as unknown as ReplyBody;

async function outcome(p: Promise<ReplyBody>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as DoorCommandError).code;
  }
}

describe('PendingCommands', () => {
  let pending: PendingCommands;
  beforeEach(() => {
    jest.useFakeTimers();
    pending = new PendingCommands(1000, () => 'online');
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('resolves on an ok reply and rejects a refusal with the reply attached', async () => {
    const a = pending.wait('r1', 'ctl-a', 'unlock');
    const b = pending.wait('r2', 'ctl-a', 'lock');
    expect(pending.settle('ctl-a', reply('r1'))).toBe(true);
    expect(pending.settle('ctl-a', reply('r2', false))).toBe(true);
    await expect(a).resolves.toMatchObject({ requestId: 'r1' });
    const err = (await b.catch((e: unknown) => e)) as DoorCommandError;
    expect(err).toBeInstanceOf(DoorCommandError);
    expect(err).toMatchObject({ code: 'rejected', controllerId: 'ctl-a', reply: { requestId: 'r2' } });
    expect(err.message).toBe('controller ctl-a rejected lock: door-busy (held)');
    expect(pending.size).toBe(0);
  });

  it('ignores duplicates, late replies and replies from another controller (which leave the command waiting)', async () => {
    const a = pending.wait('r1', 'ctl-a', 'ping');
    expect(pending.settle('ctl-b', reply('r1'))).toBe(false);
    expect(pending.settle('ctl-a', reply('unknown'))).toBe(false);
    expect(pending.size).toBe(1);
    jest.advanceTimersByTime(1000);
    await expect(a).rejects.toMatchObject({ code: 'no-reply', message: 'controller ctl-a did not reply to ping within 1000 ms (status online)' });
    expect(pending.settle('ctl-a', reply('r1'))).toBe(false);
  });

  it('times out only after the timeout', async () => {
    const a = pending.wait('r1', 'ctl-a', 'ping');
    jest.advanceTimersByTime(999);
    expect(pending.size).toBe(1);
    expect(pending.settle('ctl-a', reply('r1'))).toBe(true);
    jest.advanceTimersByTime(10);
    await expect(a).resolves.toMatchObject({ ok: true });
  });

  it.each([
    ['a failed publish', (p: PendingCommands) => p.publishFailed('r1', 'offline queue closed'), ['broker-unavailable', 'resolved'], 1],
    ['its controller going offline', (p: PendingCommands) => p.controllerOffline('ctl-a'), ['controller-offline', 'resolved'], 1],
    ['stop', (p: PendingCommands) => p.stopped(), ['broker-unavailable', 'broker-unavailable'], 0],
  ] as const)('ends the commands concerned by %s, and only those', async (_what, act, expected, left) => {
    const a = pending.wait('r1', 'ctl-a', 'unlock');
    const b = pending.wait('r2', 'ctl-b', 'unlock');
    act(pending);
    expect(pending.size).toBe(left);
    if (left) pending.settle('ctl-b', reply('r2'));
    expect([await outcome(a), await outcome(b)]).toEqual(expected);
    // A timer left behind would fire into a settled promise; none is.
    expect(jest.getTimerCount()).toBe(0);
  });
});
