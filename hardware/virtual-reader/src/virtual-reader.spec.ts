import { afterEach, describe, expect, it } from '@jest/globals';
import { seededRandom } from '@acs/clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePacket, encodeCommand, encodePacket, Pid, R503, toHex, type Packet } from '@acs/fingerprint';
import { handleControlLine } from './control.js';
import { captureFeatures, matchScore, matchThreshold } from './finger.model.js';
import { VirtualReader, type VirtualReaderOptions } from './virtual-reader.js';

const ADDR = 0xffffffff;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Bytes in, every complete reply out, as a host on the other end of the UART would see them. */
class Wire {
  readonly device: VirtualReader;
  private bytes = Buffer.alloc(0);
  constructor(options: VirtualReaderOptions = {}) {
    this.device = new VirtualReader(options);
    this.device.on('output', (b: Buffer) => (this.bytes = Buffer.concat([this.bytes, b])));
    this.device.attach();
  }
  async send(frame: Buffer): Promise<Buffer> {
    this.bytes = Buffer.alloc(0);
    this.device.receive(frame);
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.bytes;
  }
  async command(name: Parameters<typeof encodeCommand>[2], ...params: Parameters<typeof encodeCommand>[3][]): Promise<Packet[]> {
    const raw = await this.send(encodeCommand(R503, ADDR, name, ...params));
    const packets: Packet[] = [];
    for (let rest = raw; rest.length > 0;) {
      const r = decodePacket(rest);
      if (r.kind !== 'ok') throw new Error(`undecodable reply: ${r.kind}`);
      packets.push(r.packet);
      rest = rest.subarray(r.consumed);
    }
    return packets;
  }
}

const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);

describe('VirtualReader', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('answers GenImg with no finger with the datasheet frame (confirmation 02)', async () => {
    const wire = new Wire();
    const reply = await wire.send(hex('EF 01 FF FF FF FF 01 00 03 01 00 05'));
    expect(toHex(reply)).toBe('EF 01 FF FF FF FF 07 00 03 02 00 0C');
  });

  it('answers VfyPwd 0 with the datasheet ACK OK', async () => {
    const wire = new Wire();
    const reply = await wire.send(hex('EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B'));
    expect(toHex(reply)).toBe('EF 01 FF FF FF FF 07 00 03 00 00 0A');
  });

  it('ignores frames for another address and frames with a bad checksum', async () => {
    const wire = new Wire();
    await expect(wire.send(encodeCommand(R503, 0x12345678, 'TemplateNum'))).resolves.toHaveLength(0);
    await expect(wire.send(hex('EF 01 FF FF FF FF 01 00 03 1D 00 22'))).resolves.toHaveLength(0);
  });

  it('demands VfyPwd first when the password is not default (0x21), then accepts commands', async () => {
    const wire = new Wire({ password: 0xcafe });
    expect((await wire.command('TemplateNum'))[0].content[0]).toBe(0x21);
    expect((await wire.command('VfyPwd', Buffer.from([0, 0, 0, 1])))[0].content[0]).toBe(0x13);
    expect((await wire.command('VfyPwd', Buffer.from([0, 0, 0xca, 0xfe])))[0].content[0]).toBe(0x00);
    expect([...(await wire.command('TemplateNum'))[0].content]).toEqual([0, 0, 0]);
  });

  it('refuses Store beyond the capacity with 0x0B and reports stored slots in ReadIndexTable', async () => {
    const wire = new Wire({ capacity: 260 });
    wire.device.place('x');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    expect((await wire.command('Store', 1, u16(260)))[0].content[0]).toBe(0x0b);
    for (const slot of [0, 9, 258]) expect((await wire.command('Store', 1, u16(slot)))[0].content[0]).toBe(0x00);
    const page0 = (await wire.command('ReadIndexTable', 0))[0].content;
    expect(page0[0]).toBe(0x00);
    expect(page0.subarray(1, 3)).toEqual(Buffer.from([0x01, 0x02]));
    const page1 = (await wire.command('ReadIndexTable', 1))[0].content;
    expect(page1[1]).toBe(0b100);
  });

  // docs/r503-protocol.md §Data packets and template size
  it('streams UpChar as ACK then data packets 02…08 with no gaps for ACKs', async () => {
    const wire = new Wire({ templateSize: 1536, packetSize: 128 });
    wire.device.place('y');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    const packets = await wire.command('UpChar', 1);
    expect(packets.map((p) => p.pid)).toEqual([Pid.Ack, ...Array<number>(11).fill(Pid.Data), Pid.EndData]);
    expect(packets.slice(1).every((p) => p.content.length === 128)).toBe(true);
  });

  it('accepts DownChar data packets without answering them', async () => {
    const wire = new Wire({ templateSize: 512, packetSize: 64 });
    wire.device.place('z');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    const template = Buffer.concat((await wire.command('UpChar', 1)).slice(1).map((p) => p.content));
    expect((await wire.command('DownChar', 2))[0].content[0]).toBe(0);
    for (let off = 0; off < 512; off += 64) {
      const pid = off + 64 >= 512 ? Pid.EndData : Pid.Data;
      await expect(wire.send(encodePacket({ address: ADDR, pid, content: template.subarray(off, off + 64) }))).resolves.toHaveLength(0);
    }
    const match = await wire.command('Match');
    expect(match[0].content[0]).toBe(0);
  });

  it('replies to SetAdder from the new address and then ignores the old one', async () => {
    const wire = new Wire();
    const reply = await wire.send(encodeCommand(R503, ADDR, 'SetAdder', Buffer.from([0, 0, 0, 7])));
    expect(decodePacket(reply)).toMatchObject({ kind: 'ok', packet: { address: 7, content: Buffer.from([0]) } });
    await expect(wire.send(encodeCommand(R503, ADDR, 'TemplateNum'))).resolves.toHaveLength(0);
    await expect(wire.send(encodeCommand(R503, 7, 'TemplateNum'))).resolves.toHaveLength(12 + 2);
  });

  it('keeps library, notepad and password in its flash file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-flash-'));
    dirs.push(dir);
    const flashPath = join(dir, 'flash.json');
    const first = new Wire({ flashPath });
    first.device.place('persisted');
    await first.command('GenImg');
    await first.command('Img2Tz', 1);
    await first.command('Store', 1, u16(42));
    await first.command('WriteNotepad', 2, Buffer.alloc(32, 0xab));
    await first.command('SetPwd', Buffer.from([0, 0, 0, 9]));

    const second = new Wire({ flashPath });
    expect(second.device.library()).toEqual([{ slot: 42, finger: 'persisted' }]);
    expect(second.device.notepadPage(2)).toEqual(Buffer.alloc(32, 0xab));
    expect((await second.command('TemplateNum'))[0].content[0]).toBe(0x21);
  });

  it('answers the byte sequences third-party libraries send (Adafruit fingerFastSearch, LEDcontrol, getParameters)', async () => {
    const wire = new Wire();
    wire.device.place('adafruit');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    await wire.command('Store', 1, u16(3));
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    // Adafruit fingerFastSearch(): HiSpeedSearch buf 1 from page 0x0000, 0x00A3 pages.
    const search = await wire.send(hex('EF 01 FF FF FF FF 01 00 08 1B 01 00 00 00 A3 00 C8'));
    const r = decodePacket(search);
    const content = r.kind === 'ok' ? r.packet.content : Buffer.alloc(0);
    expect(content[0]).toBe(0x00);
    expect(content.readUInt16BE(1)).toBe(3);
    expect(content.readUInt16BE(3)).toBeGreaterThan(200);
    // Adafruit LEDcontrol(FINGERPRINT_LED_BREATHING, 100, FINGERPRINT_LED_PURPLE, 0).
    const led = await wire.send(encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.from([0x35, 1, 100, 3, 0]) }));
    expect(toHex(led)).toBe('EF 01 FF FF FF FF 07 00 03 00 00 0A');
    // Adafruit getParameters(): ReadSysPara, 16 bytes after the confirmation code.
    const params = await wire.command('ReadSysPara');
    expect(params[0].content).toHaveLength(17);
    expect(params[0].content.readUInt16BE(1 + 4)).toBe(200);
  });

  it("merges only this enrollment's captures in RegModel, not a stale buffer 3", async () => {
    const wire = new Wire();
    wire.device.place('old-finger');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 3);
    await wire.command('RegModel'); // fails (one capture) but leaves buffer 3 from an earlier round…
    wire.device.place('new-finger');
    for (const buffer of [1, 2]) {
      await wire.command('GenImg');
      await wire.command('Img2Tz', buffer);
    }
    // …which must not spoil the next enrollment.
    expect((await wire.command('RegModel'))[0].content[0]).toBe(0x00);
    wire.device.place('someone-else');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 2);
    expect((await wire.command('RegModel'))[0].content[0]).toBe(0x0a);
  });

  it('works with the pyfingerprint sequences: handShake 17 00, uploadCharacteristics read-back, 256x288 downloadImage', async () => {
    const wire = new Wire({ templateSize: 512, packetSize: 128, imageWidth: 256, imageHeight: 288 });
    const hs = await wire.send(encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.from([0x17, 0x00]) }));
    expect(toHex(hs)).toBe('EF 01 FF FF FF FF 07 00 03 00 00 0A');
    wire.device.place('py');
    await wire.command('GenImg');
    await wire.command('Img2Tz', 1);
    const template = Buffer.concat((await wire.command('UpChar', 1)).slice(1).map((p) => p.content));
    // uploadCharacteristics(): DownChar, 3 × PID 02 + 1 × PID 08 written back to back, then UpChar to compare.
    const burst = [encodeCommand(R503, ADDR, 'DownChar', 2)];
    for (let i = 0; i < 4; i++) {
      burst.push(encodePacket({ address: ADDR, pid: i < 3 ? Pid.Data : Pid.EndData, content: template.subarray(i * 128, i * 128 + 128) }));
    }
    burst.push(encodeCommand(R503, ADDR, 'UpChar', 2));
    const reply = await wire.send(Buffer.concat(burst));
    const packets: Packet[] = [];
    for (let rest = reply; rest.length > 0;) {
      const r = decodePacket(rest);
      if (r.kind !== 'ok') throw new Error(r.kind);
      packets.push(r.packet);
      rest = rest.subarray(r.consumed);
    }
    expect(packets.map((p) => p.pid)).toEqual([Pid.Ack, Pid.Ack, Pid.Data, Pid.Data, Pid.Data, Pid.EndData]);
    expect(Buffer.concat(packets.slice(2).map((p) => p.content))).toEqual(template);
    // downloadImage() draws 256×288 pixels at 4 bits each from the data packets.
    const image = await wire.command('UpImage');
    expect(image.slice(1).reduce((n, p) => n + p.content.length, 0)).toBe((256 * 288) / 2);
  });

  it('answers an opcode it does not know with 0xFC rather than silence', async () => {
    const wire = new Wire();
    const reply = await wire.send(encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.from([0x7e]) }));
    expect(decodePacket(reply)).toMatchObject({ kind: 'ok', packet: { content: Buffer.from([0xfc]) } });
  });

  it('paces its replies at the baud rate when asked', async () => {
    const wire = new Wire({ pace: true, templateSize: 1536, packetSize: 128 });
    wire.device.place('slow');
    const done = new Promise<void>((resolve) => {
      let n = 0;
      wire.device.on('output', (b: Buffer) => b[6] === Pid.EndData && ++n && resolve());
    });
    wire.device.receive(encodeCommand(R503, ADDR, 'GenImg'));
    wire.device.receive(encodeCommand(R503, ADDR, 'Img2Tz', 1));
    const started = performance.now();
    wire.device.receive(encodeCommand(R503, ADDR, 'UpChar', 1));
    await done;
    // 12 × 139 bytes of data plus the ACK at 10 bits per byte, 57600 baud ≈ 292 ms.
    const wireMs = ((12 * 139 + 12) * 10 * 1000) / 57600;
    expect(performance.now() - started).toBeGreaterThanOrEqual(wireMs * 0.95);
  });

  it('with the timing model, answers after the module time of each command; without it, at once', async () => {
    // A scaled-down profile keeps the test short; the R503 figures are table-tested in module-timing.spec.ts.
    const timing = { captureMs: 40, noFingerMs: 15, extractMs: 30, comparePerTemplateMs: 5 };
    const timed = async (wire: Wire, name: Parameters<typeof encodeCommand>[2], ...params: Parameters<typeof encodeCommand>[3][]) => {
      const answered = new Promise<Buffer>((resolve) => wire.device.once('output', resolve));
      const t0 = performance.now();
      wire.device.receive(encodeCommand(R503, ADDR, name, ...params));
      const reply = await answered;
      return { ms: performance.now() - t0, code: reply[9] };
    };
    const wire = new Wire({ timing });
    for (let slot = 0; slot < 8; slot++) wire.device.storeTemplate(slot, `enrolled-${slot}`);
    const idle = await timed(wire, 'GenImg');
    expect(idle.code).toBe(0x02);
    expect(idle.ms).toBeGreaterThanOrEqual(14);
    wire.device.place('enrolled-5');
    const capture = await timed(wire, 'GenImg');
    expect(capture.code).toBe(0x00);
    expect(capture.ms).toBeGreaterThanOrEqual(39);
    expect((await timed(wire, 'Img2Tz', 1)).ms).toBeGreaterThanOrEqual(29);
    const found = await timed(wire, 'Search', 1, u16(0), u16(200));
    expect(found.code).toBe(0x00);
    expect(found.ms).toBeGreaterThanOrEqual(8 * 5 - 1); // a full scan of the 8 stored templates
    const narrow = await timed(wire, 'Search', 1, u16(0), u16(2)); // 2 templates in range, no hit
    expect(narrow.code).toBe(0x09);
    expect(narrow.ms).toBeGreaterThanOrEqual(9);
    expect(narrow.ms).toBeLessThan(35);

    const untimed = new Wire();
    untimed.device.place('x');
    expect((await timed(untimed, 'GenImg')).ms).toBeLessThan(10);
  });

  it('counts the bytes that crossed the line each way', async () => {
    const wire = new Wire();
    await wire.command('GenImg');
    await wire.command('GenImg');
    expect(wire.device.lineBytes()).toEqual({ received: 24, sent: 24 });
  });
});

describe('simulated fingers', () => {
  it('scores two captures of one finger far above the threshold and different fingers far below', () => {
    const rnd = seededRandom(1);
    const threshold = matchThreshold(3);
    for (let i = 0; i < 50; i++) {
      const a1 = captureFeatures(`finger-${i}`, rnd);
      const a2 = captureFeatures(`finger-${i}`, rnd);
      const b = captureFeatures(`finger-${i + 1000}`, rnd);
      expect(matchScore(a1, a2)).toBeGreaterThan(threshold * 3);
      expect(matchScore(a1, b)).toBeLessThan(threshold / 2);
    }
  });
});

describe('control interface', () => {
  it('places and lifts fingers, switches modes and lists the library', () => {
    const device = new VirtualReader({ capacity: 5 });
    expect(handleControlLine(device, 'place alice index')).toBe('ok finger alice index placed');
    expect(device.status().finger).toBe('alice index');
    expect(handleControlLine(device, 'mode poor')).toBe('ok mode poor');
    expect(device.status().mode).toBe('poor');
    expect(handleControlLine(device, 'mode sticky')).toMatch(/^err usage/);
    expect(handleControlLine(device, 'lift')).toBe('ok finger lifted');
    expect(device.status().finger).toBeNull();
    expect(handleControlLine(device, 'library')).toBe('ok 0 template(s), capacity 5\n.');
    expect(handleControlLine(device, 'status')).toMatch(/^ok\naddress ffffffff\n/);
    expect(handleControlLine(device, 'frobnicate')).toMatch(/^err unknown command/);
  });
});
