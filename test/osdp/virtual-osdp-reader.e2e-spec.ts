import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { SystemClock } from '@acs/clock';
import { OsdpFramer, type DecodedPacket } from '@acs/osdp';
import { runOsdpSimulator, type RunningOsdpSimulator } from '../../hardware/virtual-osdp-reader/src/index.js';
import { TestAcu } from '../../hardware/virtual-osdp-reader/src/testing/test-acu.js';
import { keyFingerprint } from '../../hardware/virtual-osdp-reader/src/pd-model.js';
import { wiegand26 } from '../../hardware/virtual-osdp-reader/src/wiegand.js';
import { findSocat, PtyPair } from '../fingerprint/socat-pty.js';

/*
 * Three virtual OSDP PDs (hardware/virtual-osdp-reader, started as `npm run sim:osdp` would) on
 * one socat pseudo-terminal, driven through the OS serial stack with the serialport package, the
 * way the product's ACU will reach an RS-485 adapter. Commands are built with the libs/osdp codecs;
 * the control port plays the person at the reader.
 */

const socat = findSocat();
if (!socat) console.warn('virtual-osdp-reader.e2e: socat not found, SKIPPING the pseudo-terminal tests (apt-get install socat)');
const describeWithSocat = socat ? describe : describe.skip;

/** The ACU end of the pty: writes a command, resolves with the next reply packet. */
class PtyLine {
  private readonly packets: DecodedPacket[] = [];
  private wake?: () => void;

  constructor(private readonly port: SerialPort) {
    const framer = new OsdpFramer({ clock: new SystemClock(), direction: 'reply', maxPacketLength: 1440 });
    framer.on('data', (packet: DecodedPacket) => {
      this.packets.push(packet);
      this.wake?.();
    });
    port.pipe(framer);
  }

  async next(timeoutMs = 1000): Promise<DecodedPacket> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no OSDP reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.packets.shift()!;
  }

  async write(bytes: Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => this.port.write(bytes, (err) => (err ? reject(err) : this.port.drain(() => resolve()))));
  }

  transact = async (bytes: Buffer): Promise<Buffer> => {
    await this.write(bytes);
    return (await this.next()).raw;
  };

  /** Nothing arrives within `ms`: for "no PD answers this address". */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.packets.length === 0;
  }
}

function control(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (/^(ok|err)[^\n]*\n$/.test(text) || text.endsWith('\n.\n')) {
        socket.end();
        resolve(text.trimEnd());
      }
    });
    socket.on('error', reject);
    socket.write(`${line}\n`);
  });
}

const KEY_3 = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');

describeWithSocat('three virtual OSDP readers on one pty bus (socat + serialport)', () => {
  let dir: string;
  let pty: PtyPair;
  let sim: RunningOsdpSimulator;
  let port: SerialPort;
  let line: PtyLine;
  let acu: TestAcu;
  const log: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osdp-pty-'));
    pty = new PtyPair(socat!, join(dir, 'pd'), join(dir, 'acu'));
    await pty.start();
    sim = await runOsdpSimulator(
      ['--serial', pty.devicePath, '--address', '1', '--address', '2:install', '--address', `3:${KEY_3.toString('hex')}`, '--baud', '115200'].concat([
        '--control-port',
        '0',
        '--no-stdin',
        '--state',
        join(dir, 'state.json'),
      ]),
      (l) => log.push(l),
    );
    port = new SerialPort({ path: pty.hostPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    line = new PtyLine(port);
    acu = new TestAcu(line.transact, (n) => randomBytes(n));
  });

  afterAll(async () => {
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await sim?.close();
    await pty?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with one status block per PD and answers each address in turn', async () => {
    expect(log[0]).toBe(`virtual-osdp: 3 PD(s) attached to ${pty.devicePath} at 115200 baud`);
    for (const address of [1, 2, 3]) {
      const poll = await acu.exchange(address, { kind: 'POLL' });
      expect(poll.packet.address).toBe(address);
      expect(poll.bytes[1]).toBe(0x80 | address);
      expect(poll.reply.kind).toBe('ACK');
    }
    const ids = [];
    for (const address of [1, 2, 3]) ids.push(await acu.exchange(address, { kind: 'ID', replyType: 0 }));
    expect(new Set(ids.map((e) => (e.reply.kind === 'PDID' ? e.reply.serialNumber : -1))).size).toBe(3);
    await line.write(acu.build(5, { kind: 'POLL' }));
    await expect(line.silentFor(150)).resolves.toBe(true);
  });

  it('reports a card, keys and tamper presented on the control port at the next poll of that PD only', async () => {
    await expect(control(sim.controlPort!, 'card 2 wiegand26 4 36117')).resolves.toBe('ok card presented to pd 2 (26 bits, H10301)');
    await expect(control(sim.controlPort!, 'keys 3 12#')).resolves.toBe('ok 3 key(s) typed on pd 3');
    await expect(control(sim.controlPort!, 'tamper 1 on')).resolves.toBe('ok pd 1 tamper on');
    expect((await acu.exchange(1, { kind: 'POLL' })).reply).toEqual({ kind: 'LSTATR', tamper: 1, power: 0 });
    expect((await acu.exchange(2, { kind: 'POLL' })).reply).toEqual({ kind: 'RAW', reader: 0, format: 1, bitCount: 26, data: wiegand26(4, 36117) });
    expect((await acu.exchange(3, { kind: 'POLL' })).reply).toEqual({ kind: 'KEYPAD', reader: 0, keys: Buffer.from([0x31, 0x32, 0x0d]) });
    for (const address of [1, 2, 3]) expect((await acu.exchange(address, { kind: 'POLL' })).reply.kind).toBe('ACK');
  });

  it('survives garbage on the line and answers the next command', async () => {
    await line.write(Buffer.from([0x53, 0x01, 0xff, 0x00, 0x13, 0x37, 0x00]));
    await new Promise((r) => setTimeout(r, 60)); // past the 20 ms inter-character timeout
    expect((await acu.exchange(1, { kind: 'POLL' })).reply.kind).toBe('ACK');
  });

  it('installs PD 2: SCBK-D, KEYSET, then a session under the new key with an encrypted card read', async () => {
    const newKey = randomBytes(16);
    expect(await acu.secure(2, { keyMode: 'scbk-d', installMode: true })).toMatchObject({ ok: true });
    expect((await acu.exchange(2, { kind: 'KEYSET', keyType: 1, key: newKey })).reply.kind).toBe('ACK');
    acu.dropSession(2);
    expect(await acu.secure(2, { keyMode: 'scbk-d', installMode: true })).toMatchObject({ ok: false });
    expect(await acu.secure(2, { keyMode: 'scbk', scbk: newKey })).toMatchObject({ ok: true });
    await control(sim.controlPort!, 'card 2 raw 8f3c 13');
    const card = await acu.exchange(2, { kind: 'POLL' });
    expect(card.packet.security?.type).toBe(0x18);
    expect(card).toMatchObject({ macOk: true, reply: { kind: 'RAW', format: 0, bitCount: 13 } });

    const status = await control(sim.controlPort!, 'status 2');
    expect(status).toContain(`secure scbk install-mode off require-secure off key ${keyFingerprint(newKey)}`);
    expect(status).not.toContain(newKey.toString('hex'));
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).pds).toMatchObject({ '56500002': { scbk: newKey.toString('hex'), installMode: false } });
    // PD 3 keeps its configured key, PD 1 never had one.
    expect(await acu.secure(3, { keyMode: 'scbk', scbk: KEY_3 })).toMatchObject({ ok: true });
    expect((await acu.exchange(3, { kind: 'POLL' })).macOk).toBe(true);
    expect(log.some((l) => l.includes(newKey.toString('hex')))).toBe(false);
  });
});
