import { afterEach, describe, expect, it } from '@jest/globals';
import { mulberry32 } from '../../../hardware/virtual-reader/src/finger.model.js';
import { encodeDataPackets, encodePacket, Pid, type Packet } from './fingerprint.codec.js';
import { encodeCommand } from './fingerprint.commands.js';
import { FingerprintFramer } from './fingerprint.framer.js';
import { R503 } from './model-profile.js';
import { openMockReader, VirtualReader, type MockReaderHarness } from './testing/index.js';

const ADDR = 0xffffffff;
const ITERATIONS = 400;

function randomBytes(rnd: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(rnd() * max));
  for (let i = 0; i < b.length; i++) {
    // Bias towards header bytes so fake headers and plausible lengths actually occur.
    const r = rnd();
    b[i] = r < 0.1 ? 0xef : r < 0.2 ? 0x01 : r < 0.25 ? 0x07 : Math.floor(rnd() * 256);
  }
  return b;
}

function validFrame(rnd: () => number): Buffer {
  const pid = [Pid.Command, Pid.Data, Pid.Ack, Pid.EndData][Math.floor(rnd() * 4)];
  const content = Buffer.alloc(1 + Math.floor(rnd() * 200));
  for (let i = 0; i < content.length; i++) content[i] = Math.floor(rnd() * 256);
  return encodePacket({ address: ADDR, pid, content });
}

function mutate(frame: Buffer, rnd: () => number): Buffer {
  const m = Buffer.from(frame);
  switch (Math.floor(rnd() * 4)) {
    case 0: // flip a byte
      m[Math.floor(rnd() * m.length)] ^= 1 + Math.floor(rnd() * 255);
      return m;
    case 1: // truncate
      return m.subarray(0, Math.floor(rnd() * m.length));
    case 2: // duplicate a slice
      return Buffer.concat([m, m.subarray(Math.floor(rnd() * m.length))]);
    default: // corrupt the length field
      m.writeUInt16BE(Math.floor(rnd() * 0x10000), 7);
      return m;
  }
}

/** A frame that must always come out, and zero padding to flush any half-claimed length. */
const SENTINEL = encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0x00, 0xca, 0xfe]) });
const FLUSH = Buffer.alloc(270);

describe('fuzz: framer', () => {
  it('never throws and always resyncs after random and mutated frames (seeded)', () => {
    const rnd = mulberry32(0xf00d);
    for (let i = 0; i < ITERATIONS; i++) {
      const framer = new FingerprintFramer({ address: ADDR });
      const out: Packet[] = [];
      framer.on('data', (p: Packet) => out.push(p));
      const parts: Buffer[] = [];
      for (let k = 0; k < 4; k++) {
        const r = rnd();
        parts.push(r < 0.4 ? randomBytes(rnd, 64) : r < 0.8 ? mutate(validFrame(rnd), rnd) : validFrame(rnd));
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

describe('fuzz: virtual reader', () => {
  it('never throws on junk and still answers a valid command afterwards (seeded)', async () => {
    const rnd = mulberry32(0xbeef);
    const device = new VirtualReader({ capacity: 10 });
    const replies: Buffer[] = [];
    device.on('output', (b: Buffer) => replies.push(b));
    for (let i = 0; i < ITERATIONS; i++) {
      const junk = rnd() < 0.5 ? randomBytes(rnd, 80) : mutate(encodeCommand(R503, ADDR, 'TemplateNum'), rnd);
      expect(() => device.receive(junk)).not.toThrow();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    replies.length = 0;
    device.receive(Buffer.concat([FLUSH, encodeCommand(R503, ADDR, 'TemplateNum')]));
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Commands hidden in earlier junk may be answered too once the padding completes them;
    // the last reply must be the ACK for our clean TemplateNum: confirmation 00, count 0000.
    const expected = encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0, 0, 0]) });
    expect(Buffer.concat(replies).subarray(-expected.length)).toEqual(expected);
  });
});

describe('fuzz: driver', () => {
  let h: MockReaderHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('survives junk from the module between and during commands and keeps working (seeded)', async () => {
    h = await openMockReader({ device: { capacity: 20 } });
    const rnd = mulberry32(0xdead);
    for (let i = 0; i < 60; i++) {
      const junk = rnd() < 0.5 ? randomBytes(rnd, 60) : mutate(encodeDataPackets(ADDR, Buffer.alloc(64, i), 32)[0], rnd);
      h.device.emit('output', junk);
      // Whatever the junk did to this command, the next clean one must succeed.
      await h.reader.templateCount().catch(() => undefined);
      h.device.emit('output', FLUSH);
      await expect(h.reader.templateCount()).resolves.toBe(0);
    }
    expect(h.reader.state).toBe('ready');
    expect(h.reader.stats.malformed + h.reader.stats.badChecksum).toBeGreaterThan(0);
  });
});
