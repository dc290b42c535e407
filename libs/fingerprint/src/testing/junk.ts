import { encodePacket, Pid } from '../fingerprint.codec.js';

export { seededRandom } from '@acs/clock';

/** Random bytes biased towards header bytes, so fake headers and plausible lengths occur. */
export function randomJunk(rnd: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(rnd() * max));
  for (let i = 0; i < b.length; i++) {
    const r = rnd();
    b[i] = r < 0.1 ? 0xef : r < 0.2 ? 0x01 : r < 0.25 ? 0x07 : Math.floor(rnd() * 256);
  }
  return b;
}

/** A well-formed frame of any PID with random content. */
export function randomFrame(rnd: () => number, address: number): Buffer {
  const pid = [Pid.Command, Pid.Data, Pid.Ack, Pid.EndData][Math.floor(rnd() * 4)];
  const content = Buffer.alloc(1 + Math.floor(rnd() * 200));
  for (let i = 0; i < content.length; i++) content[i] = Math.floor(rnd() * 256);
  return encodePacket({ address, pid, content });
}

/** A frame damaged the ways a line damages it: a flipped byte, cut short, repeated, a bad length. */
export function mutateFrame(frame: Buffer, rnd: () => number): Buffer {
  const m = Buffer.from(frame);
  switch (Math.floor(rnd() * 4)) {
    case 0:
      m[Math.floor(rnd() * m.length)] ^= 1 + Math.floor(rnd() * 255);
      return m;
    case 1:
      return m.subarray(0, Math.floor(rnd() * m.length));
    case 2:
      return Buffer.concat([m, m.subarray(Math.floor(rnd() * m.length))]);
    default:
      m.writeUInt16BE(Math.floor(rnd() * 0x10000), 7);
      return m;
  }
}

/** Zero padding long enough to complete (and so flush) any half-claimed length. */
export const FLUSH = Buffer.alloc(270);
