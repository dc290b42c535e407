import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { parseEnvelope, validateCommand, validateEvent, validateReply } from './messages.js';
import { signEnvelope, verifyEnvelope } from './signing.js';

const secret = randomBytes(32);
const base = { v: 1, cmd: 'ping', requestId: 'req-000001', replyTo: 'acs/v1/c1/reply', ts: 1, nonce: 'n'.repeat(32) };

describe('hostile input', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses the inherited-looking key %s', (key) => {
    const body = JSON.parse(JSON.stringify(base).replace('{', `{"${key}":1,`)) as unknown;
    expect(validateCommand(body, 'c1')).toEqual({ ok: false, error: `command.${key} is not allowed` });
  });

  it('never throws on random bytes, random JSON values or deep nesting, and never accepts them', () => {
    const samples: Array<Buffer | string> = [
      '[]',
      'null',
      '"x"',
      '{"body":null,"mac":"00"}',
      '{"body":[],"mac":"00"}',
      `{"body":${'['.repeat(1500)}${']'.repeat(1500)},"mac":"00"}`,
      '{"body":{"a":1e400},"mac":"00"}',
      '{"body":{"a":-0.0},"mac":"00"}',
      '\u0000\u0001',
    ];
    for (let i = 0; i < 200; i++) samples.push(randomBytes(1 + (i % 64)));
    for (const sample of samples) {
      const env = parseEnvelope(sample);
      if (!env.ok) continue;
      expect(verifyEnvelope(secret, 'acs/v1/c1/cmd', env.value)).toBe(false);
      for (const v of [validateCommand(env.value.body, 'c1'), validateEvent(env.value.body), validateReply(env.value.body)]) expect(v.ok).toBe(false);
    }
  });

  it('treats a validly signed body with a non-integer number as unverifiable rather than crashing', () => {
    const env = signEnvelope(secret, 'acs/v1/c1/cmd', base);
    expect(verifyEnvelope(secret, 'acs/v1/c1/cmd', { ...env, body: { ...base, ts: 1.5 } })).toBe(false);
  });
});
