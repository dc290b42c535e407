import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SerialPort } from 'serialport';
import { findLibosdpToolchain, LibosdpPeer, type LibosdpToolchain } from './support/libosdp-peer.js';

/*
 * The libosdp peer at the byte level, before the product's ACU exists: hand-built plain OSDP
 * packets through the OS serial stack (serialport, as libs/fingerprint's transport uses it) to
 * libosdp PDs run by test/osdp/libosdp-pd/pd-harness.c. Framing per OSDP v2.2 (IEC 60839-11-5)
 * §5.7: SOM 0x53, ADDR (bit 7 set in replies), LEN (whole packet, LSB first), CTRL (bits 0-1
 * SQN, bit 2 CRC, bit 3 SCB), code, data, CRC-16 LSB first.
 */

const found = findLibosdpToolchain();
if (typeof found === 'string') {
  console.warn(`libosdp-peer.e2e: SKIPPED, the libosdp interoperability peer cannot run: ${found}`);
}
const describeWithLibosdp = typeof found === 'string' ? describe.skip : describe;
const toolchain = found as LibosdpToolchain;

/*
 * CRC-16/AUG-CCITT (poly 0x1021, init 0x1D0F, no reflection, no final xor; OSDP v2.2 Annex A),
 * written here on purpose and kept independent of libs/osdp's, so a shared mistake cannot make
 * both sides agree.
 */
function crc16(bytes: Uint8Array): number {
  let crc = 0x1d0f;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const SOM = 0x53;
const CTRL_CRC = 0x04;
const CTRL_SCB = 0x08;

function command(address: number, sqn: number, code: number, data: number[] = []): Buffer {
  const length = 6 + data.length + 2;
  const body = Buffer.from([SOM, address, length & 0xff, length >> 8, CTRL_CRC | sqn, code, ...data]);
  const crc = crc16(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
}

interface Reply {
  raw: Buffer;
  address: number;
  ctrl: number;
  code: number;
  data: Buffer;
}

/** Collects the ACU end's bytes and cuts them into packets by SOM and LEN. */
class FrameReader {
  private buf = Buffer.alloc(0);
  private wake?: () => void;

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    this.wake?.();
  }

  async next(timeoutMs = 1000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A 0xFF mark byte may precede SOM; libosdp mirrors the ACU, and these commands carry none.
      const start = this.buf.indexOf(SOM);
      if (start > 0) this.buf = this.buf.subarray(start);
      if (start >= 0 && this.buf.length >= 4) {
        const length = this.buf.readUInt16LE(2);
        if (this.buf.length >= length) {
          const raw = Buffer.from(this.buf.subarray(0, length));
          this.buf = this.buf.subarray(length);
          const ctrl = raw[4];
          const codeAt = ctrl & CTRL_SCB ? 5 + raw[5] : 5;
          return { raw, address: raw[1], ctrl, code: raw[codeAt], data: raw.subarray(codeAt + 1, length - 2) };
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete OSDP reply within ${timeoutMs} ms (have ${this.buf.toString('hex')})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** What arrived within `ms` and was not read yet: for "this PD stays silent" checks. */
  async unreadAfter(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buf.toString('hex');
  }
}

function expectValidCrc(reply: Reply): void {
  const body = reply.raw.subarray(0, reply.raw.length - 2);
  expect(reply.raw.readUInt16LE(reply.raw.length - 2)).toBe(crc16(body));
}

describe('local CRC-16/AUG-CCITT', () => {
  it('gives the catalogue check value for "123456789"', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0xe5cc);
  });
});

async function openAcuPort(path: string): Promise<{ port: SerialPort; frames: FrameReader }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const frames = new FrameReader();
  port.on('data', (chunk: Buffer) => frames.push(chunk));
  return { port, frames };
}

async function closePort(port: SerialPort | undefined): Promise<void> {
  if (!port?.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

function write(port: SerialPort, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => port.write(bytes, (err) => (err ? reject(err) : port.drain(() => resolve()))));
}

describeWithLibosdp('libosdp PD peer over a socat pty (plain, secure channel offered but not required)', () => {
  let peer: LibosdpPeer;
  let port: SerialPort;
  let frames: FrameReader;

  beforeAll(async () => {
    // A key is set (so the PDs are not in install mode), but libosdp only insists on the secure
    // channel with OSDP_FLAG_ENFORCE_SECURE, which this peer is started without.
    peer = await LibosdpPeer.start(toolchain, { pds: [1, 2], scbk: Buffer.alloc(16, 0xa5) });
    ({ port, frames } = await openAcuPort(peer.acuPath));
  });

  afterAll(async () => {
    await closePort(port);
    await peer?.stop();
  });

  async function exchange(packet: Buffer): Promise<Reply> {
    await write(port, packet);
    const reply = await frames.next();
    expectValidCrc(reply);
    return reply;
  }

  it('answers osdp_POLL (SQN 0, which restarts the PD) with osdp_ACK from address 1 | 0x80', async () => {
    const reply = await exchange(command(1, 0, 0x60));
    expect(reply.address).toBe(0x81);
    expect(reply.ctrl).toBe(CTRL_CRC | 0); // same SQN, CRC mode, no security block
    expect(reply.code).toBe(0x40);
    expect(reply.data).toHaveLength(0);
    await expect(peer.waitForLine('link 1 online')).resolves.toBe('link 1 online');
  });

  it('answers osdp_ID with osdp_PDID (vendor, model, version, serial, firmware) under the next SQN', async () => {
    const reply = await exchange(command(1, 1, 0x61, [0x00]));
    expect(reply.address).toBe(0x81);
    expect(reply.ctrl & 0x03).toBe(1);
    expect(reply.ctrl & CTRL_CRC).toBe(CTRL_CRC);
    expect(reply.code).toBe(0x45);
    expect(reply.data).toHaveLength(12);
    // The harness's identity: serial 0x10000000 + address, little-endian (OSDP v2.2 osdp_PDID).
    expect(reply.data.readUInt32LE(5)).toBe(0x10000001);
  });

  it('stays silent for another address and answers that PD itself when polled', async () => {
    await write(port, command(3, 0, 0x60));
    await expect(frames.unreadAfter(150)).resolves.toBe('');
    const reply = await exchange(command(2, 0, 0x60));
    expect(reply.address).toBe(0x82);
    expect(reply.code).toBe(0x40);
  });

  it('reports a presented card as osdp_RAW in the reply to the next poll', async () => {
    // Synthetic 26-bit Wiegand frame, not a real card number.
    await peer.presentCard(1, 'wiegand', Buffer.from([0x02, 0x46, 0x8a, 0xc0]), 26);
    const reply = await exchange(command(1, 2, 0x60));
    expect(reply.code).toBe(0x50);
    // reader 0, format 1 (Wiegand), bit count 26 LSB first, then ceil(26/8) data bytes.
    expect([...reply.data]).toEqual([0x00, 0x01, 26, 0x00, 0x02, 0x46, 0x8a, 0xc0]);
    await expect(peer.waitForLine('delivered 1 card')).resolves.toBe('delivered 1 card ok');
  });

  it('hands osdp_LED to the application, and repeats the last reply for a repeated SQN', async () => {
    // Temporary: set, 5/5 x100 ms, red/green, 1 s; permanent: set, on, green (OSDP v2.2 osdp_LED).
    const led = command(1, 3, 0x69, [0, 0, 2, 5, 5, 1, 2, 10, 0, 1, 1, 0, 2, 0]);
    const first = await exchange(led);
    expect(first.code).toBe(0x40);
    await expect(peer.waitForLine('led 1 ')).resolves.toBe('led 1 reader=0 led=0 temp=2,5,5,1,2,10 perm=1,1,0,2,0');

    const again = await exchange(led);
    expect(again.raw.equals(first.raw)).toBe(true);
    // The retry is answered from libosdp's cache: the application sees the command once.
    await expect(peer.waitForLine('led 1 ', 300)).rejects.toThrow(/no line matching/);
  });

  it('NAKs an out-of-order sequence number with reason 4', async () => {
    // After SQN 3 the next is 1 (OSDP v2.2 §5.7: 0 only restarts); 3 was just used, so send 2.
    const reply = await exchange(command(1, 2, 0x60));
    expect(reply.code).toBe(0x41);
    expect([...reply.data]).toEqual([0x04]);
  });
});

describeWithLibosdp('libosdp PD peer with the secure channel enforced', () => {
  let peer: LibosdpPeer;
  let port: SerialPort | undefined;

  beforeEach(async () => {
    peer = await LibosdpPeer.start(toolchain, { pds: [1], scbk: Buffer.alloc(16, 0x5a), enforceSecure: true });
  });

  afterEach(async () => {
    await closePort(port);
    await peer?.stop();
  });

  it('refuses a plain osdp_POLL with NAK 6 but still answers osdp_ID', async () => {
    const opened = await openAcuPort(peer.acuPath);
    port = opened.port;
    await write(port, command(1, 0, 0x60));
    const nak = await opened.frames.next();
    expectValidCrc(nak);
    expect(nak.code).toBe(0x41);
    expect([...nak.data]).toEqual([0x06]);

    await write(port, command(1, 0, 0x61, [0x00]));
    const id = await opened.frames.next();
    expectValidCrc(id);
    expect(id.code).toBe(0x45);
  });
});
