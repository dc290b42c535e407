import { describe, expect, it } from '@jest/globals';
import { MAX_MESSAGE_BYTES, parseEnvelope, peekRequest, validateCommand, validateEvent } from './messages.js';

const unlock = {
  v: 1,
  cmd: 'unlock',
  requestId: 'req-000001',
  replyTo: 'acs/v1/c1/reply',
  door: 1,
  durationMs: 3000,
  ts: 1_780_000_000_000,
  nonce: 'a'.repeat(32),
};

describe('message validation', () => {
  it('accepts a well-formed unlock', () => {
    expect(validateCommand(unlock, 'c1')).toEqual({ ok: true, value: unlock });
  });

  it.each([
    ['an unknown key', { ...unlock, extra: 1 }, 'command.extra is not allowed'],
    ['a wrong version', { ...unlock, v: 2 }, 'command.v must be 1'],
    ['door 0', { ...unlock, door: 0 }, 'command.door must be an integer in [1, 64]'],
    ['an over-long unlock', { ...unlock, durationMs: 600_001 }, 'command.durationMs must be an integer in [1, 600000]'],
    ['a reply topic of another controller', { ...unlock, replyTo: 'acs/v1/c2/reply' }, "command.replyTo is not this controller's reply topic"],
    ['an unknown command', { ...unlock, cmd: 'open-all' }, 'command.cmd must be one of unlock|lock|set-mode|read-state|ping|ack-events'],
    ['a short nonce', { ...unlock, nonce: 'abc' }, 'command.nonce is malformed'],
  ])('rejects %s', (_name, body, error) => {
    expect(validateCommand(body, 'c1')).toEqual({ ok: false, error });
  });

  it('rejects an event with a non-positive seq', () => {
    const ev = { v: 1, controllerId: 'c1', epoch: 1, seq: 0, type: 'opened', door: 1, ts: 1, nonce: 'b'.repeat(32) };
    expect(validateEvent(ev)).toMatchObject({ ok: false });
    expect(validateEvent({ ...ev, seq: 1 })).toMatchObject({ ok: true });
  });

  it('drops oversized payloads before parsing them', () => {
    const big = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20);
    expect(parseEnvelope(big)).toEqual({ ok: false, error: `payload of ${MAX_MESSAGE_BYTES + 1} bytes exceeds ${MAX_MESSAGE_BYTES}` });
  });

  it('requires exactly {body, mac}', () => {
    expect(parseEnvelope('{"body":{},"mac":"00","x":1}')).toMatchObject({ ok: false });
    expect(parseEnvelope('not json')).toEqual({ ok: false, error: 'payload is not JSON' });
    expect(parseEnvelope('{"body":{"a":1},"mac":"00"}')).toEqual({ ok: true, value: { body: { a: 1 }, mac: '00' } });
  });

  it("peeks a reply address only when it is the controller's own", () => {
    expect(peekRequest(unlock, 'c1')).toEqual({ requestId: 'req-000001', replyTo: 'acs/v1/c1/reply', cmd: 'unlock' });
    expect(peekRequest({ ...unlock, replyTo: 'acs/v1/c2/event' }, 'c1')).toBeNull();
  });
});
