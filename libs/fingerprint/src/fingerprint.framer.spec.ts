import { describe, expect, it } from '@jest/globals';
import { encodePacket, Pid, type Packet } from './fingerprint.codec.js';
import { FingerprintFramer, type FramerDrop } from './fingerprint.framer.js';

const ADDR = 0xffffffff;
const ack = (code: number, ...result: number[]) => encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([code, ...result]) });

function feed(framer: FingerprintFramer, chunks: Buffer[]): { packets: Packet[]; drops: FramerDrop[] } {
  const packets: Packet[] = [];
  const drops: FramerDrop[] = [];
  framer.on('data', (p: Packet) => packets.push(p));
  framer.on('drop', (d: FramerDrop) => drops.push(d));
  for (const c of chunks) framer.write(c);
  return { packets, drops };
}

describe('FingerprintFramer', () => {
  it('emits a frame split at every possible byte boundary', () => {
    const frame = Buffer.concat([ack(0, 0, 5, 0, 200), ack(9)]);
    for (let cut = 1; cut < frame.length; cut++) {
      const { packets } = feed(new FingerprintFramer(), [frame.subarray(0, cut), frame.subarray(cut)]);
      expect(packets.map((p) => p.content[0])).toEqual([0, 9]);
    }
  });

  it('emits frames fed one byte at a time', () => {
    const frame = Buffer.concat([ack(0, 1, 2), ack(2)]);
    const { packets } = feed(
      new FingerprintFramer(),
      [...frame].map((b) => Buffer.from([b])),
    );
    expect(packets.map((p) => [...p.content])).toEqual([[0, 1, 2], [2]]);
  });

  it('drops garbage before a header, including the R503 0x55 ready byte', () => {
    const { packets, drops } = feed(new FingerprintFramer(), [Buffer.from([0x55, 0x00, 0xef, 0x02, 0x13]), ack(0)]);
    expect(packets).toHaveLength(1);
    expect(drops.every((d) => d.kind === 'malformed')).toBe(true);
    expect(drops.length).toBeGreaterThan(0);
  });

  it('drops a frame with a bad checksum and resyncs on the next one', () => {
    const bad = ack(0);
    bad[bad.length - 1] ^= 0xff;
    const { packets, drops } = feed(new FingerprintFramer(), [Buffer.concat([bad, ack(8, 0, 0)])]);
    expect(packets.map((p) => p.content[0])).toEqual([8]);
    expect(drops[0].kind).toBe('bad-checksum');
  });

  it('recovers a real frame hidden inside a fake header with a plausible length', () => {
    // EF 01 + a length of 20 swallows the real frame; the sum fails and the rescan finds it.
    const fake = Buffer.from([0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x14]);
    const { packets } = feed(new FingerprintFramer(), [fake, ack(0, 0, 42), Buffer.alloc(12)]);
    expect(packets.map((p) => [...p.content])).toEqual([[0, 0, 42]]);
  });

  it('rejects absurd lengths at once instead of waiting for 64 KiB', () => {
    const framer = new FingerprintFramer({ maxContentLength: 256 });
    const { packets, drops } = feed(framer, [Buffer.from([0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x02, 0xff, 0x00]), ack(0)]);
    expect(drops[0]).toMatchObject({ kind: 'malformed', reason: 'absurd length 65280' });
    expect(packets).toHaveLength(1);
    expect(framer.pending).toBe(0);
  });

  it('drops frames for another address when bound to one', () => {
    const other = encodePacket({ address: 0x00000001, pid: Pid.Ack, content: Buffer.from([0]) });
    const { packets, drops } = feed(new FingerprintFramer({ address: ADDR }), [other, ack(0x13)]);
    expect(packets.map((p) => p.content[0])).toEqual([0x13]);
    expect(drops).toEqual([{ kind: 'not-for-us', consumed: other.length, address: 1 }]);
  });

  it('forgets a partial frame on reset', () => {
    const framer = new FingerprintFramer();
    const frame = ack(0);
    const { packets } = feed(framer, [frame.subarray(0, 5)]);
    expect(framer.pending).toBe(5);
    framer.reset();
    framer.write(frame);
    expect(packets).toHaveLength(1);
  });

  it('discards a held partial frame on request and reports it as a drop', () => {
    const framer = new FingerprintFramer();
    const frame = ack(0, 1, 2);
    const { packets, drops } = feed(framer, [frame.subarray(0, 10)]);
    expect(framer.discardPartial('inter-byte timeout')).toBe(10);
    expect(framer.discardPartial('stale before a new command')).toBe(0);
    framer.write(ack(9));
    expect(packets.map((p) => p.content[0])).toEqual([9]);
    expect(drops).toEqual([{ kind: 'malformed', consumed: 10, reason: 'inter-byte timeout' }]);
  });

  it('takes a length limit per packet identifier', () => {
    const framer = new FingerprintFramer({ maxContentLength: (pid) => (pid === Pid.Command ? 34 : 128) });
    const command = (n: number) => encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.alloc(n, 1) });
    const data = encodePacket({ address: ADDR, pid: Pid.Data, content: Buffer.alloc(128, 2) });
    const { packets, drops } = feed(framer, [command(34), data, command(35).subarray(0, 9), ack(0)]);
    expect(packets.map((p) => [p.pid, p.content.length])).toEqual([
      [Pid.Command, 34],
      [Pid.Data, 128],
      [Pid.Ack, 1],
    ]);
    expect(drops[0]).toMatchObject({ kind: 'malformed', reason: 'absurd length 37' });
  });

  it('validates its options', () => {
    expect(() => new FingerprintFramer({ maxContentLength: 0 })).toThrow(TypeError);
  });
});
