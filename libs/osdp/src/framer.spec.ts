import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { OsdpFramer, type OsdpFramerDrop, type OsdpFramerOptions } from './framer.js';
import { encodePacket, withMark, type DecodedPacket } from './packet.js';

const reply = (address: number, code: number, ...data: number[]) => encodePacket({ direction: 'reply', address, sequence: 1, code, data: Buffer.from(data) });
const command = (address: number, code: number) => encodePacket({ direction: 'command', address, sequence: 1, code });

function harness(options: Partial<OsdpFramerOptions> = {}) {
  const clock = new FakeClock();
  const framer = new OsdpFramer({ clock, ...options });
  const packets: DecodedPacket[] = [];
  const drops: OsdpFramerDrop[] = [];
  framer.on('data', (p: DecodedPacket) => packets.push(p));
  framer.on('drop', (d: OsdpFramerDrop) => drops.push(d));
  const write = (...chunks: Buffer[]) => chunks.forEach((c) => framer.write(c));
  return { clock, framer, packets, drops, write };
}

describe('OsdpFramer', () => {
  it('emits packets split at every possible byte boundary', () => {
    const stream = Buffer.concat([withMark(reply(1, 0x45, ...Array(12).fill(7))), withMark(reply(2, 0x40))]);
    for (let cut = 1; cut < stream.length; cut++) {
      const h = harness();
      h.write(stream.subarray(0, cut), stream.subarray(cut));
      expect(h.packets.map((p) => [p.address, p.code])).toEqual([
        [1, 0x45],
        [2, 0x40],
      ]);
      expect(h.drops).toEqual([]);
    }
  });

  it('emits packets fed one byte at a time, skipping mark bytes silently', () => {
    const h = harness();
    h.write(...[...withMark(reply(1, 0x40)), ...withMark(reply(1, 0x41, 3))].map((b) => Buffer.from([b])));
    expect(h.packets.map((p) => [p.code, [...p.data]])).toEqual([
      [0x40, []],
      [0x41, [3]],
    ]);
    expect(h.drops).toEqual([]);
  });

  it('drops garbage before a SOM and reports it', () => {
    const h = harness();
    h.write(Buffer.from([0x00, 0x12, 0xfe]), reply(1, 0x40));
    expect(h.packets).toHaveLength(1);
    expect(h.drops).toEqual([{ kind: 'malformed', consumed: 3, reason: 'no SOM' }]);
  });

  it('drops a packet with a bad CRC and resyncs on the next one', () => {
    const bad = reply(1, 0x40);
    bad[bad.length - 1] ^= 0xff;
    const h = harness();
    h.write(Buffer.concat([bad, reply(1, 0x41, 1)]));
    expect(h.packets.map((p) => p.code)).toEqual([0x41]);
    expect(h.drops[0]).toMatchObject({ kind: 'bad-checksum', check: 'crc' });
  });

  it('recovers a real packet hidden inside a fake header with a plausible length', () => {
    // SOM + LEN 40 swallows the real packet; the CRC fails and the rescan from the next byte finds it.
    const h = harness();
    h.write(Buffer.from([0x53, 0x81, 0x28, 0x00, 0x04]), reply(1, 0x48, 0, 0), Buffer.alloc(40, 0xff));
    expect(h.packets.map((p) => p.code)).toEqual([0x48]);
    expect(h.framer.pending).toBe(0);
  });

  it('rejects a LEN above the configured maximum at once instead of waiting for it', () => {
    const h = harness({ maxPacketLength: 128 });
    h.write(Buffer.from([0x53, 0x81, 0x81, 0x00, 0x04]));
    expect(h.drops[0]).toEqual({ kind: 'too-long', consumed: 1, length: 129, max: 128 });
    expect(h.framer.pending).toBe(0);
    h.write(reply(1, 0x40));
    expect(h.packets).toHaveLength(1);
  });

  it('drops commands at an ACU (own echo, a second ACU) and replies of unknown PDs', () => {
    const h = harness({ direction: 'reply', addresses: new Set([1, 2]) });
    h.write(command(1, 0x60), reply(3, 0x40), reply(2, 0x40));
    expect(h.packets.map((p) => p.address)).toEqual([2]);
    expect(h.drops).toEqual([
      { kind: 'not-for-us', consumed: 8, address: 1, reason: 'wrong direction' },
      { kind: 'not-for-us', consumed: 8, address: 3, reason: 'other address' },
    ]);
  });

  it('drops a partial packet after the inter-byte timeout, when the next bytes arrive', () => {
    const h = harness();
    const p = reply(1, 0x45, ...Array(12).fill(9));
    h.write(p.subarray(0, 10));
    h.clock.advance(20);
    h.write(p.subarray(10, 12)); // 20 ms is not yet a gap
    expect(h.drops).toEqual([]);
    h.clock.advance(21);
    h.write(reply(1, 0x40));
    expect(h.drops).toEqual([{ kind: 'truncated', consumed: 12, reason: 'inter-byte timeout' }]);
    expect(h.packets.map((x) => x.code)).toEqual([0x40]);
  });

  it('drops an aged partial packet on tick, and not a fresh one', () => {
    const h = harness({ interByteTimeoutMs: 50 });
    h.write(reply(1, 0x40).subarray(0, 4));
    expect(h.framer.tick()).toBe(0);
    h.clock.advance(51);
    expect(h.framer.tick()).toBe(4);
    expect(h.framer.pending).toBe(0);
    expect(h.drops).toEqual([{ kind: 'truncated', consumed: 4, reason: 'inter-byte timeout' }]);
  });

  it('finds a real packet swallowed by a stale fake header when the gap expires it', () => {
    // SOM + LEN 200 holds the real reply back; no more bytes come, so only the timeout can free it.
    const h = harness();
    h.write(Buffer.from([0x53, 0x81, 0xc8, 0x00, 0x04, 0x01]), reply(1, 0x48, 1, 0), Buffer.from([0x53, 0x81]));
    expect(h.packets).toEqual([]);
    h.clock.advance(21);
    expect(h.framer.tick()).toBe(8);
    expect(h.packets.map((p) => p.code)).toEqual([0x48]);
    expect(h.drops).toEqual([
      { kind: 'truncated', consumed: 6, reason: 'inter-byte timeout' },
      { kind: 'truncated', consumed: 2, reason: 'inter-byte timeout' },
    ]);
    expect(h.framer.pending).toBe(0);
  });

  it('reports a sound packet for another PD found in expired bytes as not-for-us', () => {
    const h = harness({ direction: 'reply', addresses: new Set([1]) });
    h.write(Buffer.from([0x53, 0x81, 0xc8, 0x00, 0x04]), reply(9, 0x40));
    h.clock.advance(21);
    h.framer.tick();
    expect(h.drops).toEqual([
      { kind: 'truncated', consumed: 5, reason: 'inter-byte timeout' },
      { kind: 'not-for-us', consumed: 8, address: 9, reason: 'other address' },
    ]);
  });

  it('reports a partial packet at the end of the stream', async () => {
    const h = harness();
    h.write(reply(1, 0x40).subarray(0, 6));
    h.framer.end();
    await new Promise((resolve) => h.framer.on('finish', resolve));
    expect(h.drops).toEqual([{ kind: 'truncated', consumed: 6, reason: 'end of stream' }]);
  });

  it('forgets a partial packet on reset', () => {
    const h = harness();
    const p = reply(1, 0x40);
    h.write(p.subarray(0, 5));
    expect(h.framer.pending).toBe(5);
    h.framer.reset();
    h.write(p);
    expect(h.packets).toHaveLength(1);
    expect(h.drops).toEqual([]);
  });

  it('validates its options', () => {
    const clock = new FakeClock();
    expect(() => new OsdpFramer({ clock, maxPacketLength: 7 })).toThrow(TypeError);
    expect(() => new OsdpFramer({ clock, maxPacketLength: 0x10000 })).toThrow(TypeError);
    expect(() => new OsdpFramer({ clock, interByteTimeoutMs: 0 })).toThrow(TypeError);
  });
});
