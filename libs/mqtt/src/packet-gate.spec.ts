import { describe, expect, it } from '@jest/globals';
import { ConnectionLimits } from './connection-limits.js';
import { FixedHeaderScanner } from './packet-gate.js';

const CONNECT_10 = [0x10, 10, ...Array(10).fill(0)];

describe('FixedHeaderScanner', () => {
  it.each([
    ['a CONNECT within the limit', [CONNECT_10], undefined],
    ['a CONNECT announcing one byte over the limit', [[0x10, 101]], 'packet-too-large'],
    ['a CONNECT announcing 200 MB (4-byte length)', [[0x10, 0x80, 0x80, 0x80, 0x64]], 'packet-too-large'],
    ['a fifth length byte', [[0x10, 0xff, 0xff, 0xff, 0xff, 0x01]], 'malformed-length'],
    ['PUBLISH before CONNECT', [[0x30, 2, 0, 0]], 'connect-expected'],
    ['PINGREQ before CONNECT', [[0xc0, 0]], 'connect-expected'],
    ['a PUBLISH over the limit after CONNECT', [CONNECT_10, [0x30, 0xe5, 0x00]], 'packet-too-large'],
    ['packets at exactly the limit after CONNECT', [CONNECT_10, [0x30, 100, ...Array(100).fill(1)], [0xc0, 0]], undefined],
    ['a header split across chunks, one byte each', [[0x10], [0x80], [0x01]], 'packet-too-large'],
    [
      'a body split across chunks, then the next header',
      [
        [0x10, 10, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0x30],
        [0xe5, 0x00],
      ],
      'packet-too-large',
    ],
  ])('%s', (_what, chunks, expected) => {
    const scanner = new FixedHeaderScanner(100);
    let refusal: string | undefined;
    for (const c of chunks) refusal ??= scanner.feed(Uint8Array.from(c))?.reason;
    expect(refusal).toBe(expected);
  });

  it('reports the announced length and the limit', () => {
    expect(new FixedHeaderScanner(9216).feed(Uint8Array.from([0x10, 0x80, 0x80, 0x80, 0x64]))).toEqual({
      reason: 'packet-too-large',
      packetType: 1,
      announced: 200 * 1024 * 1024,
      limit: 9216,
    });
  });
});

describe('ConnectionLimits', () => {
  it('caps per address and in total, and frees a slot on release (once)', () => {
    const limits = new ConnectionLimits(3, 2);
    const a1 = limits.admit('a');
    const a2 = limits.admit('a');
    expect(limits.admit('a')).toEqual({ ok: false, reason: 'too-many-from-address' });
    const b1 = limits.admit('b');
    expect(limits.admit('c')).toEqual({ ok: false, reason: 'too-many-connections' });
    expect([a1.ok, a2.ok, b1.ok]).toEqual([true, true, true]);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(limits.open).toBe(2);
    expect(limits.admit('a').ok).toBe(true);
    expect(limits.admit('c')).toEqual({ ok: false, reason: 'too-many-connections' });
  });

  it('shuts a penalised address out until the penalty ends, others not', () => {
    let now = 1_000;
    const limits = new ConnectionLimits(10, 10, 5_000, () => now);
    limits.penalise('a');
    expect(limits.admit('a')).toEqual({ ok: false, reason: 'address-penalised' });
    expect(limits.admit('b').ok).toBe(true);
    now += 4_999;
    expect(limits.admit('a').ok).toBe(false);
    now += 1;
    expect(limits.admit('a').ok).toBe(true);
  });

  it('with no penalty time, penalise does nothing', () => {
    const limits = new ConnectionLimits(10, 10, 0, () => 0);
    limits.penalise('a');
    expect(limits.admit('a').ok).toBe(true);
  });
});
