import { describe, expect, it } from '@jest/globals';
import { encodePacket, Pid, type Packet } from './fingerprint.codec.js';
import { FingerprintFramer } from './fingerprint.framer.js';
import { FLUSH, mutateFrame, randomFrame, randomJunk, seededRandom } from './testing/junk.js';

// The virtual module's and the whole driver's fuzz runs live with them (hardware/virtual-reader,
// test/fingerprint): this lib's specs do not start the emulator, which depends on this lib.

const ADDR = 0xffffffff;
const ITERATIONS = 400;

/** A frame that must always come out after the padding. */
const SENTINEL = encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0x00, 0xca, 0xfe]) });

describe('fuzz: framer', () => {
  it('never throws and always resyncs after random and mutated frames (seeded)', () => {
    const rnd = seededRandom(0xf00d);
    for (let i = 0; i < ITERATIONS; i++) {
      const framer = new FingerprintFramer({ address: ADDR });
      const out: Packet[] = [];
      framer.on('data', (p: Packet) => out.push(p));
      const parts: Buffer[] = [];
      for (let k = 0; k < 4; k++) {
        const r = rnd();
        parts.push(r < 0.4 ? randomJunk(rnd, 64) : r < 0.8 ? mutateFrame(randomFrame(rnd, ADDR), rnd) : randomFrame(rnd, ADDR));
      }
      parts.push(FLUSH, SENTINEL);
      const stream = Buffer.concat(parts);
      // Re-chunk at random boundaries.
      for (let off = 0; off < stream.length;) {
        const n = 1 + Math.floor(rnd() * 40);
        expect(() => framer.write(stream.subarray(off, off + n))).not.toThrow();
        off += n;
      }
      const last = out.at(-1);
      expect(last?.content.equals(SENTINEL.subarray(9, 12))).toBe(true);
    }
  });
});
