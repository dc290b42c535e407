import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '@acs/clock';
import { fuzzSettings } from '../../../test/support/fuzz.js';
import { OsdpFramer, INTER_BYTE_TIMEOUT_MS } from './framer.js';
import { decodePacket, encodePacket, MARK, SOM, type DecodedPacket, type PacketInit } from './packet.js';

/**
 * Seeded fuzzing of the framer (fast-check; `npm test` runs the fixed seed of test/support/fuzz.ts,
 * `FUZZ_LONG=1 FUZZ_SEED=<n>` runs more cases from another seed). The ACU side is fuzzed: replies
 * accepted, commands dropped as the wrong direction.
 */
const settings = fuzzSettings();
const MAX = 300;

const packetInit: fc.Arbitrary<PacketInit> = fc
  .record({
    address: fc.integer({ min: 0, max: 0x7f }),
    sequence: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
    integrity: fc.constantFrom('crc', 'checksum') as fc.Arbitrary<'crc' | 'checksum'>,
    code: fc.integer({ min: 0, max: 0xff }),
    data: fc.uint8Array({ maxLength: 80 }),
    security: fc.option(
      fc.oneof(
        fc.record({ type: fc.integer({ min: 0x11, max: 0x14 }), data: fc.uint8Array({ minLength: 1, maxLength: 1 }), mac: fc.constant(undefined) }),
        fc.record({ type: fc.constantFrom(0x15, 0x16), data: fc.constant(new Uint8Array(0)), mac: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
      ),
      { nil: undefined },
    ),
  })
  .map(({ security, ...rest }) => ({
    direction: 'reply' as const,
    ...rest,
    ...(security ? { security: { type: security.type, data: Buffer.from(security.data) }, mac: security.mac } : {}),
  }));

const packet = packetInit.map((init) => ({ init, bytes: encodePacket(init) }));

/** Bytes biased towards SOM, mark and small LEN values, so fake headers are common. */
const noise = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.constantFrom(SOM, MARK, 0x00, 0x04, 0x05, 0x08, 0x80)), { maxLength: 60 })
  .map((b) => Buffer.from(b));
const truncated = packet.chain(({ bytes }) => fc.integer({ min: 1, max: bytes.length - 1 }).map((n) => bytes.subarray(0, n)));
const mutated = packet.chain(({ bytes }) =>
  fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
    const copy = Buffer.from(bytes);
    copy[at] ^= xor;
    return copy;
  }),
);
const fakeHeader = fc
  .tuple(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xff }))
  .map(([addr, len, ctrl]) => Buffer.from([SOM, addr, len & 0xff, len >> 8, ctrl]));
const command = packetInit.map((init) => encodePacket({ ...init, direction: 'command' }));
const garbage = fc.oneof(noise, truncated, mutated, fakeHeader, command);

type Piece = { garbage: Buffer } | { packet: Buffer; init: PacketInit };
const stream = fc.array(
  fc.oneof(
    garbage.map((g): Piece => ({ garbage: g })),
    packet.map(({ init, bytes }): Piece => ({ packet: bytes, init })),
  ),
  { minLength: 1, maxLength: 12 },
);
const cuts = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 });

function harness() {
  const clock = new FakeClock();
  const framer = new OsdpFramer({ clock, direction: 'reply', maxPacketLength: MAX });
  const out: DecodedPacket[] = [];
  framer.on('data', (p: DecodedPacket) => out.push(p));
  framer.on('drop', () => undefined);
  let maxPending = 0;
  /** Writes `bytes` in chunks of the given sizes (cycled), checking the held bytes stay bounded. */
  const write = (bytes: Buffer, sizes: number[]) => {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length];
      framer.write(bytes.subarray(at, at + n));
      maxPending = Math.max(maxPending, framer.pending);
      at += n;
    }
  };
  return { clock, framer, out, write, maxPending: () => maxPending };
}

describe('fuzz: OsdpFramer', () => {
  it('recovers every valid packet sent after a line gap, whatever garbage came before (seeded)', () => {
    fc.assert(
      fc.property(stream, cuts, (pieces, sizes) => {
        const h = harness();
        const sent: Buffer[] = [];
        for (const piece of pieces) {
          if ('garbage' in piece) {
            h.write(piece.garbage, sizes);
            continue;
          }
          // A transmitter idles the line before its packet (OSDP v2.2 §5): the gap ends any partial
          // packet the garbage left behind.
          h.clock.advance(INTER_BYTE_TIMEOUT_MS + 1);
          h.write(piece.packet, sizes);
          sent.push(piece.packet);
        }
        const got = h.out.map((p) => p.raw.toString('hex'));
        // Every sent packet comes out, in order; anything else that came out is a sound reply.
        let i = 0;
        for (const g of got) if (i < sent.length && g === sent[i].toString('hex')) i++;
        expect(i).toBe(sent.length);
        for (const p of h.out) expect(decodePacket(p.raw, { direction: 'reply' }).kind).toBe('ok');
        expect(h.maxPending()).toBeLessThan(MAX);
      }),
      { seed: settings.seed, numRuns: 300 * settings.factor },
    );
  });

  it('resyncs without line gaps: every valid packet is recovered unless the garbage forged a packet (seeded)', () => {
    // Without gaps a run of garbage can, by chance, form a packet whose check bytes are right (1 in
    // 256 for the checksum, 1 in 65536 for the CRC) and swallow the start of the next real one. Such
    // a forgery comes out as a packet nobody sent; runs without one must recover every packet.
    let strict = 0;
    let runs = 0;
    fc.assert(
      fc.property(stream, cuts, (pieces, sizes) => {
        runs++;
        const h = harness();
        h.write(Buffer.concat(pieces.map((p) => ('garbage' in p ? p.garbage : p.packet))), sizes);
        // The line goes idle after the last byte; the owner's timer calls tick.
        h.clock.advance(INTER_BYTE_TIMEOUT_MS + 1);
        h.framer.tick();
        expect(h.framer.pending).toBe(0);
        const sent = pieces.flatMap((p) => ('packet' in p ? [p.packet.toString('hex')] : []));
        const got = h.out.map((p) => p.raw.toString('hex'));
        const forged = got.filter((g) => !sent.includes(g)).length;
        if (forged > 0) return;
        strict++;
        expect(got).toEqual(sent);
        expect(h.maxPending()).toBeLessThan(MAX);
      }),
      { seed: settings.seed + 2, numRuns: 300 * settings.factor },
    );
    expect(strict).toBeGreaterThan(runs * 0.8);
  });

  it('never throws, holds fewer than maxPacketLength bytes and never stalls on gap-free garbage (seeded)', () => {
    fc.assert(
      fc.property(fc.array(garbage, { minLength: 1, maxLength: 10 }), cuts, packet, (junk, sizes, { bytes: sentinel }) => {
        const h = harness();
        expect(() => h.write(Buffer.concat(junk), sizes)).not.toThrow();
        expect(h.maxPending()).toBeLessThan(MAX);
        h.clock.advance(INTER_BYTE_TIMEOUT_MS + 1);
        h.write(sentinel, sizes);
        expect(h.out.at(-1)?.raw.toString('hex')).toBe(sentinel.toString('hex'));
      }),
      { seed: settings.seed + 1, numRuns: 300 * settings.factor },
    );
  });

  it('keeps memory bounded on a long stream of SOM-heavy noise', () => {
    const h = harness();
    const rnd = fc.sample(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), { seed: settings.seed, numRuns: 64 });
    for (const block of rnd) {
      for (let i = 0; i < block.length; i += 7) block[i] = SOM;
      h.write(Buffer.from(block), [97]);
    }
    expect(h.maxPending()).toBeLessThan(MAX);
  });
});
