import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfirmationCode } from '../confirmation-code.js';
import { encodeDataPackets, encodePacket, Pid, u16, u32 } from '../fingerprint.codec.js';
import { encodeCommand, encodeIndexTable, encodeSystemParameters, SysParaRegister } from '../fingerprint.commands.js';
import { FingerprintErrorCode } from '../fingerprint.errors.js';
import { FingerprintReader } from '../fingerprint-reader.device.js';
import { R30X } from '../model-profile.js';
import { FakeTransport } from '../testing/fake-transport.js';

// The command layer at its seam: the bytes each method puts on the line and what it makes of the
// module's answer, with the module played by a script of replies per instruction code.

const ADDR = 0xffffffff;
const CAPACITY = 300;
const TEMPLATE_SIZE = R30X.fallbackTemplateSize; // 512: the R30x cannot report it
const PACKET_SIZE = 128;

const ack = (confirmation: number, result: Buffer = Buffer.alloc(0)) =>
  encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.concat([Buffer.from([confirmation]), result]) });
const command = (name: Parameters<typeof encodeCommand>[2], ...params: Parameters<typeof encodeCommand>[3][]) => encodeCommand(R30X, ADDR, name, ...params);

type Script = Record<number, (frame: Buffer) => Buffer | undefined>;

const HANDSHAKE: Script = {
  0x13: () => ack(ConfirmationCode.Ok),
  0x0f: () =>
    ack(
      ConfirmationCode.Ok,
      encodeSystemParameters({ statusRegister: 0, systemId: 0, capacity: CAPACITY, securityLevel: 3, address: ADDR, packetSizeCode: 2, baudRate: 57600 }),
    ),
};

let open: FingerprintReader[] = [];
afterEach(async () => {
  await Promise.all(open.map((r) => r.close()));
  open = [];
});

/** A ready reader whose module answers from `script` (instruction code → reply bytes). */
async function readerWith(script: Script = {}): Promise<{ reader: FingerprintReader; wire: FakeTransport; sent: () => Buffer[] }> {
  const wire = new FakeTransport();
  const replies: Script = { ...HANDSHAKE, ...script };
  wire.respond = (frame) => {
    if (frame[6] !== Pid.Command) return;
    const reply = replies[frame[9]]?.(frame);
    if (reply) wire.reply(reply);
  };
  // Every scripted command is answered, so no case here waits on a deadline; a generous one keeps
  // a loaded machine's event-loop stall from turning an answered command into a retry (it did at
  // 60 ms: Search was sent twice). Timeouts have their own specs on the link.
  const reader = new FingerprintReader({ transport: wire, model: 'r30x', commandTimeoutMs: 2000, timeouts: { GenImg: 2000, Search: 2000 }, retries: 1 });
  open.push(reader);
  await reader.open();
  const handshake = wire.written.length;
  return { reader, wire, sent: () => wire.written.slice(handshake) };
}

describe('ReaderCommands', () => {
  it('handshakes with VfyPwd and ReadSysPara, and takes capacity and packet size from the module', async () => {
    const { reader, wire } = await readerWith();
    expect(wire.written).toEqual([command('VfyPwd', u32(0)), command('ReadSysPara')]);
    expect(reader.info).toMatchObject({ capacity: CAPACITY, packetSize: PACKET_SIZE, templateSize: TEMPLATE_SIZE });
  });

  it('refuses commands until the reader is ready, without touching the line', async () => {
    const wire = new FakeTransport();
    const reader = new FingerprintReader({ transport: wire });
    await expect(reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });
    expect(wire.written).toEqual([]);
  });

  it.each([
    [ConfirmationCode.Ok, true],
    [ConfirmationCode.NoFinger, false],
  ])('GenImg with confirmation %d reads as captured=%s', async (confirmation, captured) => {
    const { reader, sent } = await readerWith({ 0x01: () => ack(confirmation) });
    await expect(reader.captureImage()).resolves.toBe(captured);
    expect(sent()).toEqual([command('GenImg')]);
  });

  it('names the command and the confirmation code when the module refuses', async () => {
    const { reader } = await readerWith({ 0x01: () => ack(ConfirmationCode.ImagingFailed) });
    await expect(reader.captureImage()).rejects.toMatchObject({
      code: FingerprintErrorCode.Confirmation,
      message: expect.stringMatching(/^GenImg failed: 0x03/),
    });
  });

  it('searches the whole library by default and returns the slot and score, or null', async () => {
    let found = true;
    const { reader, sent } = await readerWith({
      0x04: () => (found ? ack(ConfirmationCode.Ok, Buffer.concat([u16(17), u16(142)])) : ack(ConfirmationCode.NotFound)),
    });
    await expect(reader.search()).resolves.toEqual({ pageId: 17, score: 142 });
    expect(sent()).toEqual([command('Search', 1, u16(0), u16(CAPACITY))]);
    found = false;
    await expect(reader.search(2, 10, 5)).resolves.toBeNull();
    expect(sent()[1]).toEqual(command('Search', 2, u16(10), u16(5)));
  });

  it.each([
    ['a buffer the model does not have', (r: FingerprintReader) => r.store(3, 0), /character buffer 3 does not exist on r30x/],
    ['a slot past the capacity', (r: FingerprintReader) => r.store(1, CAPACITY), /template slot 300 outside 0..299/],
    ['a notepad page past 15', (r: FingerprintReader) => r.readNotepad(16), /notepad page 16 outside 0..15/],
    ['an index page past 3', (r: FingerprintReader) => r.readIndexTable(4), /index page 4 outside 0..3/],
  ])('refuses %s before sending anything', async (_what, call, message) => {
    const { reader, sent } = await readerWith();
    await expect(call(reader)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument, message: expect.stringMatching(message) });
    expect(sent()).toEqual([]);
  });

  it('lists occupied slots from as many index pages as the capacity needs', async () => {
    const { reader, sent } = await readerWith({
      0x1f: (frame) => ack(ConfirmationCode.Ok, encodeIndexTable(frame[10], frame[10] === 0 ? [0, 7] : [256, 299, 300])),
    });
    await expect(reader.listTemplateIds()).resolves.toEqual([0, 7, 256, 299]);
    expect(sent()).toEqual([command('ReadIndexTable', 0), command('ReadIndexTable', 1)]);
  });

  it('uploads a template from the data packets after the ACK, and retries a transfer that stalled', async () => {
    const template = Buffer.alloc(TEMPLATE_SIZE, 0xa5);
    let attempt = 0;
    const { reader, sent } = await readerWith({
      0x08: () => {
        const packets = encodeDataPackets(ADDR, template, PACKET_SIZE);
        return Buffer.concat([ack(ConfirmationCode.Ok), ...(attempt++ === 0 ? packets.slice(0, 2) : packets)]);
      },
    });
    await expect(reader.uploadTemplate(1)).resolves.toEqual(template);
    expect(sent()).toEqual([command('UpChar', 1), command('UpChar', 1)]);
    expect(reader.stats.retries).toBe(1);
  });

  it('refuses a module that sends a template of another size', async () => {
    const { reader } = await readerWith({ 0x08: () => Buffer.concat([ack(ConfirmationCode.Ok), ...encodeDataPackets(ADDR, Buffer.alloc(256), PACKET_SIZE)]) });
    await expect(reader.uploadTemplate(1)).rejects.toMatchObject({
      code: FingerprintErrorCode.Protocol,
      message: 'UpChar: module sent 256 bytes, expected a 512-byte template',
    });
  });

  it('downloads a template as DownChar then unanswered data packets of the module packet size', async () => {
    const template = Buffer.alloc(TEMPLATE_SIZE, 0x3c);
    const { reader, sent } = await readerWith({ 0x09: () => ack(ConfirmationCode.Ok) });
    await reader.downloadTemplate(2, template);
    expect(sent()).toEqual([command('DownChar', 2), Buffer.concat(encodeDataPackets(ADDR, template, PACKET_SIZE))]);
    await expect(reader.downloadTemplate(2, Buffer.alloc(10))).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
  });

  it('uses a password set with SetPwd when a probe with another one fails', async () => {
    let password = 0;
    const { reader, sent } = await readerWith({
      0x12: (frame) => {
        password = frame.readUInt32BE(10);
        return ack(ConfirmationCode.Ok);
      },
      0x13: (frame) => ack(frame.readUInt32BE(10) === password ? ConfirmationCode.Ok : ConfirmationCode.WrongPassword),
    });
    await reader.setPassword(0x1234);
    await expect(reader.verifyPassword(0x9999)).resolves.toBe(false);
    expect(sent()).toEqual([command('SetPwd', u32(0x1234)), command('VfyPwd', u32(0x9999)), command('VfyPwd', u32(0x1234))]);
  });

  it('refuses a runtime baud change', async () => {
    const { reader, sent } = await readerWith();
    await expect(reader.setSystemParameter(SysParaRegister.BaudRate, 12)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
    expect(sent()).toEqual([]);
  });
});
