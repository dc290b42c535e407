import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfirmationCode } from '../confirmation-code.js';
import { encodePacket, Pid } from '../fingerprint.codec.js';
import { encodeProductInfo, encodeSystemParameters } from '../fingerprint.commands.js';
import { FingerprintErrorCode } from '../fingerprint.errors.js';
import { FingerprintReader } from '../fingerprint-reader.device.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { waitForState } from '../testing/index.js';
import type { ReaderState, ReaderStateChange } from './reader.types.js';
import { setTimeout as sleep } from 'node:timers/promises';

// The connection layer at its seam: states, reconnects and the identity check, over a fake line
// whose module is a small script (R503: VfyPwd, ReadSysPara, ReadProdInfo, notepad).

const ADDR = 0xffffffff;
const ack = (confirmation: number, result: Buffer = Buffer.alloc(0)) =>
  encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.concat([Buffer.from([confirmation]), result]) });

interface Module {
  password: number;
  serialNumber: string;
  /** Answers nothing at all (powered off behind a device server). */
  deaf: boolean;
  notepad: Buffer;
}

function fakeModule(wire: FakeTransport, overrides: Partial<Module> = {}): Module {
  const m: Module = { password: 0, serialNumber: 'SN000001', deaf: false, notepad: Buffer.alloc(32), ...overrides };
  wire.respond = (frame) => {
    if (m.deaf || frame[6] !== Pid.Command) return;
    switch (frame[9]) {
      case 0x13:
        return wire.reply(ack(frame.readUInt32BE(10) === m.password ? ConfirmationCode.Ok : ConfirmationCode.WrongPassword));
      case 0x0f:
        return wire.reply(
          ack(
            ConfirmationCode.Ok,
            encodeSystemParameters({ statusRegister: 0, systemId: 0, capacity: 200, securityLevel: 3, address: ADDR, packetSizeCode: 2, baudRate: 57600 }),
          ),
        );
      case 0x3c:
        return wire.reply(
          ack(
            ConfirmationCode.Ok,
            encodeProductInfo({
              model: 'R503',
              batch: 'B1',
              serialNumber: m.serialNumber,
              hardwareVersion: 1,
              sensorModel: 'S',
              sensorWidth: 192,
              sensorHeight: 192,
              templateSize: 1536,
              databaseSize: 200,
            }),
          ),
        );
      case 0x18:
        frame.subarray(11, 43).copy(m.notepad);
        return wire.reply(ack(ConfirmationCode.Ok));
      case 0x19:
        return wire.reply(ack(ConfirmationCode.Ok, m.notepad));
      case 0x1d:
        return wire.reply(ack(ConfirmationCode.Ok, Buffer.from([0, 0])));
    }
  };
  return m;
}

const readers: FingerprintReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
});

function readerOn(
  wire: FakeTransport,
  options: Partial<ConstructorParameters<typeof FingerprintReader>[0]> = {},
): { reader: FingerprintReader; states: ReaderState[] } {
  const reader = new FingerprintReader({
    transport: wire,
    name: 'door-1-in',
    commandTimeoutMs: 40,
    retries: 0,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, factor: 2, failAfterAttempts: 3 },
    ...options,
  });
  readers.push(reader);
  const states: ReaderState[] = [];
  reader.on('state', (change: ReaderStateChange) => states.push(change.to));
  return { reader, states };
}

describe('ReaderConnection', () => {
  it('goes idle → connecting → ready on open, and closed on close, refusing commands after', async () => {
    const wire = new FakeTransport();
    fakeModule(wire);
    const { reader, states } = readerOn(wire);
    await reader.open();
    expect(reader.info).toMatchObject({ capacity: 200, templateSize: 1536, productInfo: { serialNumber: 'SN000001' } });
    await reader.close();
    expect(states).toEqual(['connecting', 'ready', 'closed']);
    await expect(reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });
    await expect(reader.open()).rejects.toMatchObject({ code: FingerprintErrorCode.Closed });
  });

  it('reconnects after the line drops and re-runs the handshake', async () => {
    const wire = new FakeTransport();
    fakeModule(wire);
    const { reader, states } = readerOn(wire);
    await reader.open();
    wire.drop(new Error('cable pulled'));
    expect(reader.lastError?.message).toBe('door-1-in disconnected: cable pulled');
    await waitForState(reader, 'ready');
    expect(states).toEqual(['connecting', 'ready', 'connecting', 'ready']);
    expect(reader.stats.reconnects).toBe(1);
  });

  it('shows failed after repeated handshake failures, keeps retrying, and comes back', async () => {
    const wire = new FakeTransport();
    const module = fakeModule(wire, { deaf: true });
    const { reader } = readerOn(wire);
    await expect(reader.open()).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
    expect(reader.state).toBe('failed');
    module.deaf = false;
    await waitForState(reader, 'ready', 1000);
  });

  it('refuses a wrong password at once and does not retry until told to', async () => {
    const wire = new FakeTransport();
    const module = fakeModule(wire, { password: 0x1234 });
    const { reader } = readerOn(wire);
    await expect(reader.open()).rejects.toMatchObject({ code: FingerprintErrorCode.WrongPassword });
    const sent = wire.written.length;
    await sleep(50);
    expect(wire.written).toHaveLength(sent);
    expect(reader.state).toBe('failed');
    module.password = 0;
    await reader.reconnect();
    expect(reader.state).toBe('ready');
  });

  it('refuses a module whose serial number changed until staff confirm it', async () => {
    const wire = new FakeTransport();
    const module = fakeModule(wire);
    const { reader } = readerOn(wire);
    await reader.open();
    module.serialNumber = 'SN999999';
    wire.drop();
    await waitForState(reader, 'failed');
    expect(reader.lastError).toMatchObject({
      code: FingerprintErrorCode.IdentityMismatch,
      message: expect.stringMatching(/serial number changed from SN000001 to SN999999/),
    });
    await reader.confirmModule();
    expect(reader.state).toBe('ready');
  });

  it('checks the pairing code on the notepad, and writes it when staff confirm the module', async () => {
    const wire = new FakeTransport();
    const module = fakeModule(wire);
    const { reader } = readerOn(wire, { pairing: { code: 'door-1-secret' } });
    await expect(reader.open()).rejects.toMatchObject({ code: FingerprintErrorCode.IdentityMismatch });
    await reader.confirmModule();
    expect(module.notepad.subarray(0, 13).toString()).toBe('door-1-secret');
    expect(reader.state).toBe('ready');
  });

  it('validates its options', () => {
    expect(() => new FingerprintReader({})).toThrow('FingerprintReader needs "path" or "transport"');
    expect(() => new FingerprintReader({ transport: new FakeTransport(), pairing: { code: 'x', page: 16 } })).toThrow('"pairing.page" must be 0..15');
    expect(() => new FingerprintReader({ transport: new FakeTransport(), pairing: { code: 'x'.repeat(33) } })).toThrow(/a page holds 32/);
  });
});
