import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { encodeCommand, encodePacket, MAX_COMMAND_CONTENT_LENGTH, Pid, R503, type FramerDrop } from '@acs/fingerprint';
import { DEFAULT_INTER_BYTE_TIMEOUT_MS, VirtualReader, type VirtualReaderOptions } from './virtual-reader.js';

/**
 * How the module receives frames (issue 16 item 9): a partial frame is dropped after an
 * inter-byte gap, and no header is waited on for more bytes than the module's longest command
 * or its packet size (docs/fingerprint-serial-framing.md).
 */

const ADDR = 0xffffffff;
const TEMPLATE_NUM = encodeCommand(R503, ADDR, 'TemplateNum');
const TEMPLATE_NUM_REPLY = encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0, 0, 0]) });

function header(pid: number, length: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16BE(0xef01, 0);
  b.writeUInt32BE(ADDR, 2);
  b[6] = pid;
  b.writeUInt16BE(length, 7);
  return b;
}

/** The module with a clock that moves only when told, its output and its drop events. */
function module(options: VirtualReaderOptions = {}) {
  const clock = new FakeClock();
  const device = new VirtualReader({ clock, ...options });
  let out = Buffer.alloc(0);
  const drops: FramerDrop[] = [];
  device.on('output', (b: Buffer) => (out = Buffer.concat([out, b])));
  device.on('drop', (d: FramerDrop) => drops.push(d));
  device.attach();
  return {
    clock,
    device,
    drops,
    /** Bytes in; whatever the module sent back once its (unpaced) replies ran, or after `waitMs`. */
    async send(bytes: Buffer, waitMs = 0): Promise<string> {
      out = Buffer.alloc(0);
      device.receive(bytes);
      await new Promise<void>((resolve) => (waitMs > 0 ? setTimeout(resolve, waitMs) : setImmediate(resolve)));
      return out.toString('hex');
    },
  };
}

const WRITE_NOTEPAD_CUT = Buffer.concat([header(Pid.Command, MAX_COMMAND_CONTENT_LENGTH + 2), Buffer.from([0x18, 0x03])]);

describe('virtual R503 frame reception', () => {
  it('drops a partial frame after the inter-byte timeout and answers the next command at once', async () => {
    const m = module();
    await expect(m.send(WRITE_NOTEPAD_CUT)).resolves.toBe('');
    m.clock.advance(DEFAULT_INTER_BYTE_TIMEOUT_MS + 1);
    await expect(m.send(TEMPLATE_NUM)).resolves.toBe(TEMPLATE_NUM_REPLY.toString('hex'));
    expect(m.drops).toEqual([{ kind: 'malformed', consumed: WRITE_NOTEPAD_CUT.length, reason: 'inter-byte timeout' }]);
    // The half-written WriteNotepad never reached the flash.
    expect(m.device.notepadPage(3)).toEqual(Buffer.alloc(32));
  });

  it('keeps a frame whose bytes pause for less than the timeout', async () => {
    const m = module();
    await expect(m.send(TEMPLATE_NUM.subarray(0, 7))).resolves.toBe('');
    m.clock.advance(DEFAULT_INTER_BYTE_TIMEOUT_MS - 1);
    await expect(m.send(TEMPLATE_NUM.subarray(7))).resolves.toBe(TEMPLATE_NUM_REPLY.toString('hex'));
    expect(m.drops).toEqual([]);
  });

  it('takes the timeout from its options, and 0 waits forever like a module without one', async () => {
    const quick = module({ interByteTimeoutMs: 10 });
    await quick.send(WRITE_NOTEPAD_CUT);
    quick.clock.advance(11);
    await expect(quick.send(TEMPLATE_NUM)).resolves.toBe(TEMPLATE_NUM_REPLY.toString('hex'));

    const deaf = module({ interByteTimeoutMs: 0 });
    await deaf.send(WRITE_NOTEPAD_CUT);
    deaf.clock.advance(60_000);
    // The command disappears into the 36-byte frame the header promised.
    await expect(deaf.send(TEMPLATE_NUM)).resolves.toBe('');
    expect(() => new VirtualReader({ interByteTimeoutMs: -1 })).toThrow(RangeError);
  });

  it('counts the gap from when the previous bytes finished crossing the line when paced', async () => {
    // 200 bytes of a DownChar data packet at 57,600 baud take ~35 ms on the wire: 110 ms after
    // they started arriving only ~75 ms of silence has passed, under the 100 ms timeout.
    const m = module({ pace: true, packetSize: 256 });
    const frame = encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.from([0x1d]) });
    const data = encodePacket({ address: ADDR, pid: Pid.EndData, content: Buffer.alloc(256, 7) });
    await m.send(data.subarray(0, 200), 50);
    m.clock.advance(110);
    await m.send(Buffer.concat([data.subarray(200), frame]), 60);
    expect(m.drops).toEqual([]);
  });

  it('refuses a command header longer than its longest command (WriteNotepad) without waiting', async () => {
    const m = module();
    const tooLong = header(Pid.Command, MAX_COMMAND_CONTENT_LENGTH + 3);
    await expect(m.send(Buffer.concat([tooLong, TEMPLATE_NUM]))).resolves.toBe(TEMPLATE_NUM_REPLY.toString('hex'));
    expect(m.drops[0]).toMatchObject({ kind: 'malformed', reason: `absurd length ${MAX_COMMAND_CONTENT_LENGTH + 3}` });
    // The longest real command is still accepted.
    const write = encodeCommand(R503, ADDR, 'WriteNotepad', 3, Buffer.alloc(32, 0x61));
    await expect(m.send(write)).resolves.toBe(encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0]) }).toString('hex'));
    expect(m.device.notepadPage(3)).toEqual(Buffer.alloc(32, 0x61));
  });

  it('bounds data packets by the packet size it is set to', async () => {
    const m = module({ packetSize: 32 });
    const longer = header(Pid.Data, 32 + 3);
    await expect(m.send(Buffer.concat([longer, TEMPLATE_NUM]))).resolves.toBe(TEMPLATE_NUM_REPLY.toString('hex'));
    expect(m.drops[0]).toMatchObject({ reason: 'absurd length 35' });
    // SetSysPara 6 = 3: 256-byte packets; a header of that size is now awaited, not refused.
    await m.send(encodeCommand(R503, ADDR, 'SetSysPara', 6, 3));
    const dropped = m.drops.length;
    await expect(m.send(Buffer.concat([header(Pid.Data, 256 + 2), TEMPLATE_NUM]))).resolves.toBe('');
    expect(m.drops).toHaveLength(dropped);
  });

  it('can be given a longer command limit, e.g. to emulate a module that waits for anything', async () => {
    const m = module({ maxCommandContentLength: 254 });
    await expect(m.send(Buffer.concat([header(Pid.Command, 0x0100), TEMPLATE_NUM]))).resolves.toBe('');
    expect(() => new VirtualReader({ maxCommandContentLength: 300 })).toThrow(RangeError);
  });
});
