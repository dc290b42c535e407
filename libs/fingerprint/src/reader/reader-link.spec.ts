import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfirmationCode } from '../confirmation-code.js';
import { encodeDataPackets, encodePacket, Pid, u16, u32 } from '../fingerprint.codec.js';
import { encodeCommand } from '../fingerprint.commands.js';
import { FingerprintError, FingerprintErrorCode } from '../fingerprint.errors.js';
import type { FramerDrop } from '../fingerprint.framer.js';
import { R503 } from '../model-profile.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { ackResult, checkAck, ReaderLink, type ReaderLinkOptions } from './reader-link.js';
import { SILENT_LOGGER } from './reader.types.js';

const ADDR = 0xffffffff;

function ack(confirmation: number, result: Buffer = Buffer.alloc(0)): Buffer {
  return encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.concat([Buffer.from([confirmation]), result]) });
}

const links: FakeTransport[] = [];
afterEach(async () => {
  for (const t of links.splice(0)) await t.close();
});

async function linkOver(options: Partial<ReaderLinkOptions> = {}): Promise<{ link: ReaderLink; wire: FakeTransport; drops: FramerDrop[] }> {
  const wire = new FakeTransport();
  links.push(wire);
  await wire.open();
  const drops: FramerDrop[] = [];
  const link = new ReaderLink({
    transport: wire,
    name: 'door-1-in',
    address: ADDR,
    profile: R503,
    baudRate: 57600,
    retries: 1,
    commandTimeoutMs: 60,
    timeouts: {},
    settleMs: 20,
    logger: SILENT_LOGGER,
    password: () => 0,
    packetSize: () => 32,
    onDrop: (drop) => drops.push(drop),
    ...options,
  });
  return { link, wire, drops };
}

describe('ReaderLink', () => {
  it('writes the datasheet frame for a command and resolves with the confirmation and result', async () => {
    const { link, wire } = await linkOver();
    wire.respond = () => wire.reply(ack(ConfirmationCode.Ok, u16(7)));
    const reply = await link.transact('TemplateNum', []);
    // EF01, address FFFFFFFF, PID 01, length 0003, instruction 1D, checksum 0021
    expect(wire.written).toEqual([Buffer.from('ef01ffffffff0100031d0021', 'hex')]);
    expect(reply.confirmation).toBe(ConfirmationCode.Ok);
    expect(reply.result).toEqual(u16(7));
    expect(link.counters.framesOk).toBe(1);
  });

  it('gets a reply split into single bytes', async () => {
    const { link, wire } = await linkOver();
    wire.respond = () => {
      for (const byte of ack(ConfirmationCode.Ok, u16(3))) wire.reply(Buffer.from([byte]));
    };
    await expect(link.transact('TemplateNum', [])).resolves.toMatchObject({ confirmation: 0 });
  });

  it('retries an idempotent command once after a lost reply, then times out naming the address', async () => {
    const { link, wire } = await linkOver();
    await expect(link.transact('TemplateNum', [])).rejects.toMatchObject({
      code: FingerprintErrorCode.Timeout,
      message: expect.stringMatching(/TemplateNum: no reply from door-1-in at address 0xFFFFFFFF within \d+ ms/),
    });
    expect(wire.written).toHaveLength(2);
    expect(link.counters).toMatchObject({ timeouts: 2, retries: 1 });
  });

  it('sends a non-idempotent command once only', async () => {
    const { link, wire } = await linkOver({ timeouts: { GenImg: 60 } });
    await expect(link.transact('GenImg', [])).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
    expect(wire.written).toHaveLength(1);
  });

  it('resends an idempotent command the module received garbled (0x01)', async () => {
    const { link, wire } = await linkOver();
    let n = 0;
    wire.respond = () => wire.reply(n++ === 0 ? ack(ConfirmationCode.PacketReceiveError) : ack(ConfirmationCode.Ok, u16(1)));
    await expect(link.transact('TemplateNum', [])).resolves.toMatchObject({ confirmation: ConfirmationCode.Ok });
    expect(wire.written).toHaveLength(2);
  });

  it('re-verifies the password when the module forgot it (0x21), then resends the command', async () => {
    const { link, wire } = await linkOver({ password: () => 0x0badf00d });
    let verified = false;
    wire.respond = (frame) => {
      if (frame[9] === 0x13) {
        verified = true;
        wire.reply(ack(ConfirmationCode.Ok));
      } else wire.reply(verified ? ack(ConfirmationCode.Ok, u16(2)) : ack(ConfirmationCode.PasswordRequired));
    };
    await expect(link.transact('TemplateNum', [])).resolves.toMatchObject({ confirmation: ConfirmationCode.Ok });
    expect(wire.written).toEqual([
      encodeCommand(R503, ADDR, 'TemplateNum'),
      encodeCommand(R503, ADDR, 'VfyPwd', u32(0x0badf00d)),
      encodeCommand(R503, ADDR, 'TemplateNum'),
    ]);
  });

  it('ignores an OK reply shaped for another command and takes the one that fits', async () => {
    const { link, wire } = await linkOver();
    wire.respond = () => wire.reply(Buffer.concat([ack(ConfirmationCode.Ok), ack(ConfirmationCode.Ok, u16(5))]));
    const reply = await link.transact('TemplateNum', []);
    expect(reply.result).toEqual(u16(5));
    expect(link.counters.staleReplies).toBe(1);
  });

  it('counts a packet nobody asked for and keeps the line quiet before the next command', async () => {
    const { link, wire } = await linkOver({ settleMs: 80 });
    wire.reply(ack(ConfirmationCode.Ok, u16(9)));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(link.counters.unsolicited).toBe(1);
    wire.respond = () => wire.reply(ack(ConfirmationCode.Ok, u16(1)));
    const started = Date.now();
    await link.transact('TemplateNum', []);
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('drops a partial frame held from before the command instead of reading it as the reply', async () => {
    const { link, wire, drops } = await linkOver();
    wire.reply(ack(ConfirmationCode.Ok, u16(9)).subarray(0, 7));
    await new Promise<void>((resolve) => setImmediate(resolve));
    wire.respond = () => wire.reply(ack(ConfirmationCode.Ok, u16(1)));
    await expect(link.transact('TemplateNum', [])).resolves.toMatchObject({ result: u16(1) });
    expect(drops.map((d) => d.kind)).toContain('malformed');
  });

  it('runs queued jobs one at a time, and refuses a second outstanding command', async () => {
    const { link, wire } = await linkOver();
    const order: string[] = [];
    wire.respond = () => wire.reply(ack(ConfirmationCode.Ok, u16(1)));
    const a = link.enqueue(async () => {
      order.push('a start');
      await link.transact('TemplateNum', []);
      order.push('a end');
    });
    const b = link.enqueue(async () => {
      order.push('b');
    });
    await Promise.all([a, b]);
    expect(order).toEqual(['a start', 'a end', 'b']);

    wire.respond = undefined;
    const first = link.transact('TemplateNum', []).catch((e: unknown) => e);
    await expect(link.transact('TemplateNum', [])).rejects.toMatchObject({ message: expect.stringMatching(/while another command is outstanding/) });
    await first;
  });

  it('fails the outstanding command at once when aborted (unplug, close)', async () => {
    const { link } = await linkOver({ commandTimeoutMs: 5000 });
    const pending = link.transact('TemplateNum', []);
    await new Promise<void>((resolve) => setImmediate(resolve));
    link.abort(new FingerprintError(FingerprintErrorCode.Disconnected, 'unplugged'));
    await expect(pending).rejects.toMatchObject({ code: FingerprintErrorCode.Disconnected });
  });

  it('reports a write to a port that went away as DISCONNECTED', async () => {
    const { link, wire } = await linkOver();
    wire.writeError = new Error('EIO');
    await expect(link.transact('GenImg', [])).rejects.toMatchObject({
      code: FingerprintErrorCode.Disconnected,
      message: 'GenImg: write to door-1-in failed: EIO',
    });
  });

  it('receives the data packets that follow an OK (UpChar) and stops at the end packet', async () => {
    const { link, wire } = await linkOver();
    const template = Buffer.alloc(80, 0x5a);
    wire.respond = () => wire.reply(Buffer.concat([ack(ConfirmationCode.Ok), ...encodeDataPackets(ADDR, template, 32)]));
    const chunks: Buffer[] = [];
    const reply = await link.receive('UpChar', [1], (packet) => {
      chunks.push(packet.content);
      return packet.pid === Pid.EndData ? 'done' : 'more';
    });
    expect(reply.confirmation).toBe(ConfirmationCode.Ok);
    expect(chunks.map((c) => c.length)).toEqual([32, 32, 16]);
    expect(Buffer.concat(chunks)).toEqual(template);
  });

  it('declares a data transfer that stops mid-way stalled', async () => {
    const { link, wire } = await linkOver();
    wire.respond = () => wire.reply(Buffer.concat([ack(ConfirmationCode.Ok), encodeDataPackets(ADDR, Buffer.alloc(80), 32)[0]]));
    await expect(link.receive('UpChar', [1], () => 'more')).rejects.toMatchObject({
      code: FingerprintErrorCode.Timeout,
      message: expect.stringMatching(/UpChar: data transfer from door-1-in stalled/),
    });
  });

  it('streams unanswered data packets (DownChar) in the configured size', async () => {
    const { link, wire } = await linkOver();
    await link.send('DownChar', Buffer.alloc(64, 1), 32);
    expect(wire.written).toEqual([Buffer.concat(encodeDataPackets(ADDR, Buffer.alloc(64, 1), 32))]);
  });

  it('checks the confirmation and the result length the datasheet gives', () => {
    expect(() => checkAck('Store', { confirmation: ConfirmationCode.PageOutOfRange, result: Buffer.alloc(0) }, 'r')).toThrow(/Store failed: 0x0B/);
    expect(() => ackResult('TemplateNum', { confirmation: 0, result: Buffer.alloc(1) }, 'r')).toThrow('TemplateNum: reply carries 1 result bytes, expected 2');
    expect(ackResult('TemplateNum', { confirmation: 0, result: Buffer.from([0, 4, 9]) }, 'r')).toEqual(u16(4));
  });
});
