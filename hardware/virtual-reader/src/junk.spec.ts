import { describe, expect, it } from '@jest/globals';
import { encodeCommand, encodePacket, Pid, R503 } from '@acs/fingerprint';
import { FLUSH, mutateFrame, randomJunk, seededRandom } from '@acs/fingerprint/testing';
import { VirtualReader } from './virtual-reader.js';

const ADDR = 0xffffffff;
const ITERATIONS = 400;

describe('fuzz: virtual reader', () => {
  it('never throws on junk and still answers a valid command afterwards (seeded)', async () => {
    const rnd = seededRandom(0xbeef);
    const device = new VirtualReader({ capacity: 10 });
    const replies: Buffer[] = [];
    device.on('output', (b: Buffer) => replies.push(b));
    for (let i = 0; i < ITERATIONS; i++) {
      const junk = rnd() < 0.5 ? randomJunk(rnd, 80) : mutateFrame(encodeCommand(R503, ADDR, 'TemplateNum'), rnd);
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
