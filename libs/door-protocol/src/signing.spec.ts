import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonical.js';
import { signEnvelope, verifyEnvelope } from './signing.js';

const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const topic = 'acs/v1/c1/cmd';

describe('canonical form', () => {
  it('sorts keys at every level, drops undefined and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: undefined, b: 'é"' } })).toBe('{"a":{"b":"é\\"","d":[true,null,"x"]},"b":1}');
  });

  it('refuses numbers that different languages would print differently', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 2 ** 60 })).toThrow(TypeError);
  });
});

describe('HMAC envelope', () => {
  const body = { v: 1, cmd: 'ping', requestId: 'req-00001', ts: 1, nonce: 'n'.repeat(32) };

  it('matches an independent HMAC (openssl) over the documented canonical input', () => {
    // printf 'acs-door-v1\nacs/v1/c1/cmd\n{"a":1,"b":"x"}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0011..eeff
    expect(signEnvelope(secret, topic, { b: 'x', a: 1 }).mac).toBe('71d812031db0036513c6324f790d73c4e487816fa924f0bbb4bc365072e100e8');
  });

  it('reproduces the worked example of hardware/door-protocol/README.md and asyncapi.yaml', () => {
    const example = {
      v: 1,
      cmd: 'unlock',
      requestId: '6f1c2a8e-0d5b-4c39-9a51-2b7e3f4c1d00',
      replyTo: 'acs/v1/dc1-ctl-7/reply',
      door: 1,
      durationMs: 5000,
      ts: 1795000000000,
      nonce: '3f9a0c1e5b7d2a4c6e8f0a1b2c3d4e5f',
    };
    expect(signEnvelope(secret, 'acs/v1/dc1-ctl-7/cmd', example).mac).toBe('6bad4fe8d07a5e50e6f9170e5a95a16cfccfdf0899c8e4c3358f667c8b9d609f');
  });

  it('verifies its own signature independent of key order', () => {
    const env = signEnvelope(secret, topic, body);
    const reordered = JSON.parse(JSON.stringify({ mac: env.mac, body: { ...body, nonce: body.nonce } })) as typeof env;
    expect(verifyEnvelope(secret, topic, reordered)).toBe(true);
  });

  it('rejects a changed body, another topic, another key and malformed MACs', () => {
    const env = signEnvelope(secret, topic, body);
    expect(verifyEnvelope(secret, topic, { ...env, body: { ...body, ts: 2 } })).toBe(false);
    expect(verifyEnvelope(secret, 'acs/v1/c2/cmd', env)).toBe(false);
    expect(verifyEnvelope(Buffer.alloc(32, 7), topic, env)).toBe(false);
    expect(verifyEnvelope(secret, topic, { ...env, mac: env.mac.slice(2) })).toBe(false);
    expect(verifyEnvelope(secret, topic, { ...env, mac: 42 })).toBe(false);
    expect(verifyEnvelope(secret, topic, { ...env, body: { x: 0.5 } })).toBe(false);
  });

  it('refuses short secrets', () => {
    expect(() => signEnvelope(Buffer.alloc(8), topic, body)).toThrow(RangeError);
  });
});
