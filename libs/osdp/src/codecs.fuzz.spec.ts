import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fuzzSettings } from '../../../test/support/fuzz.js';
import { decodeCommand, encodeCommand } from './commands.js';
import { decodePacket, encodePacket, type Direction } from './packet.js';
import { OsdpPayloadError, type DecodeOutcome } from './payload.js';
import { decodeReply, encodeReply } from './replies.js';

/**
 * Seeded fuzzing of the decoders with arbitrary bytes (fixed seed in `npm test`, see
 * test/support/fuzz.ts): they never throw, a refusal is always an OsdpPayloadError, and whatever
 * they accept encodes back to the same bytes (one canonical layout per message).
 */
const settings = fuzzSettings();
const runs = 2000 * settings.factor;

/** Known codes far more often than others, so the codecs, not only the unknown-code path, are exercised. */
const codes = (known: number[]) => fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 9 }, { arbitrary: fc.integer({ min: 0, max: 0xff }), weight: 1 });
const commandCode = codes([0x60, 0x61, 0x62, 0x64, 0x69, 0x6a, 0x6b, 0x6e, 0x75, 0x76, 0x77]);
const replyCode = codes([0x40, 0x41, 0x45, 0x46, 0x48, 0x50, 0x51, 0x53, 0x54, 0x76, 0x78, 0x79]);
/** Payloads whose length fields often agree with their size. */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // The fixed sizes of the codecs' layouts (ACK … CCRYPT, LED and BUZ records).
  fc.constantFrom(0, 1, 2, 5, 8, 10, 12, 14, 15, 16, 28, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fc.tuple(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.uint8Array({ maxLength: 40 })).map(([head, tail]) => {
    const out = Uint8Array.from([...head, ...tail]);
    // The count field of TEXT (byte 5), FMT (byte 2), KEYPAD and KEYSET (byte 1) made true for one of them.
    out[[5, 2, 1][tail.length % 3]] = out.length - [6, 3, 2][tail.length % 3];
    return out;
  }),
);

describe('fuzz: command and reply decoders', () => {
  type Codec = { decode: (code: number, data: Buffer) => DecodeOutcome<unknown>; encode: (value: never) => { code: number; data: Buffer } };
  const codecs: Array<[string, fc.Arbitrary<number>, Codec]> = [
    ['decodeCommand', commandCode, { decode: decodeCommand, encode: encodeCommand }],
    ['decodeReply', replyCode, { decode: decodeReply, encode: encodeReply }],
  ];

  it.each(codecs)('%s never throws and accepts only canonical payloads (seeded)', (_name, code, codec) => {
    let accepted = 0;
    fc.assert(
      fc.property(code, data, (c, d) => {
        const bytes = Buffer.from(d);
        const result = codec.decode(c, bytes);
        // A refusal must be the typed error (a false return fails the property).
        if (!result.ok) return result.error instanceof OsdpPayloadError;
        accepted++;
        const again = codec.encode(result.value as never);
        expect({ code: again.code, data: again.data.toString('hex') }).toEqual({ code: c, data: bytes.toString('hex') });
      }),
      { seed: settings.seed, numRuns: runs },
    );
    // The property says something only if payloads were accepted, not just refused.
    expect(accepted).toBeGreaterThan(runs / 20);
  });

  it('decodePacket never throws and only accepts packets that re-encode to the same bytes (seeded)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, som) => {
        const buf = Buffer.from(bytes);
        if (som && buf.length > 0) buf[0] = 0x53;
        const result = decodePacket(buf);
        if (result.kind === 'need-more') return;
        expect(result.consumed).toBeGreaterThan(0);
        expect(result.consumed).toBeLessThanOrEqual(buf.length);
        if (result.kind !== 'ok') return;
        const p = result.packet;
        const direction: Direction = p.direction;
        const rebuilt = encodePacket({
          direction,
          address: p.address,
          sequence: p.sequence,
          integrity: p.integrity,
          security: p.security,
          code: p.code,
          data: p.data,
          mac: p.mac,
        });
        expect(rebuilt.toString('hex')).toBe(p.raw.toString('hex'));
      }),
      { seed: settings.seed, numRuns: runs },
    );
  });
});
