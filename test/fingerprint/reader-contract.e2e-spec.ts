import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FingerprintErrorCode, FingerprintReader } from '@acs/fingerprint';
import { FAST_READER_OPTIONS } from '@acs/fingerprint/testing';
import { VirtualReader } from '../../hardware/virtual-reader/src/index.js';
import { openMockReader, openTcpReader } from '../../hardware/virtual-reader/src/testing/harness.js';
import { VirtualReaderSerialAttachment } from '../../hardware/virtual-reader/src/serial.attachment.js';
import { findSocat, PtyPair } from './socat-pty.js';

interface ContractTarget {
  reader: FingerprintReader;
  close(): Promise<void>;
}

/**
 * One reader suite, several targets (node-serialport's mock-vs-real pattern): the same tests run
 * against the in-process mock, a socat pty, TCP and — when FINGERPRINT_TEST_PORT is set — a real
 * module. Only commands that are safe on real hardware with enrolled users: nothing is stored or
 * deleted, and notepad page 14 is restored afterwards.
 */
function describeReaderContract(name: string, open: () => Promise<ContractTarget>): void {
  describe(`reader contract: ${name}`, () => {
    let target: ContractTarget;
    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      await target?.close();
    });

    it('completes the handshake with sane parameters from the module', () => {
      const info = target.reader.info!;
      expect(target.reader.state).toBe('ready');
      expect([32, 64, 128, 256]).toContain(info.packetSize);
      expect(info.capacity).toBeGreaterThan(0);
      expect(info.templateSize).toBeGreaterThanOrEqual(256);
    });

    it('agrees between TempleteNum and ReadIndexTable', async () => {
      const count = await target.reader.templateCount();
      const ids = await target.reader.listTemplateIds();
      expect(ids).toHaveLength(count);
    });

    it('round-trips a notepad page and restores it', async () => {
      const before = await target.reader.readNotepad(14);
      const probe = Buffer.from(`contract-${Date.now()}`.padEnd(32, '.'));
      await target.reader.writeNotepad(14, probe);
      await expect(target.reader.readNotepad(14)).resolves.toEqual(probe);
      await target.reader.writeNotepad(14, before);
    });

    it('answers a wrong password probe with false and stays usable', async () => {
      await expect(target.reader.verifyPassword(0xdeadbeef)).resolves.toBe(false);
      // The probe un-verified the session on modules with a password; the driver restored it.
      await expect(target.reader.getRandomCode()).resolves.toEqual(expect.any(Number));
      await expect(target.reader.verifyPassword()).resolves.toBe(true);
    });

    it('rejects out-of-range arguments before they reach the wire', async () => {
      await expect(target.reader.loadTemplate(1, target.reader.info!.capacity)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
      await expect(target.reader.readNotepad(16)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
    });
  });
}

describeReaderContract('virtual R503 over MockBinding', () => openMockReader({ device: { password: 0x00c0ffee }, reader: { password: 0x00c0ffee } }));

describeReaderContract('virtual R503 over raw TCP', () => openTcpReader());

const socat = findSocat();
if (socat) {
  describeReaderContract('virtual R503 over a socat pty (bindings-cpp)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-contract-'));
    const pty = new PtyPair(socat, join(dir, 'module'), join(dir, 'host'));
    await pty.start();
    const attachment = new VirtualReaderSerialAttachment(new VirtualReader());
    await attachment.open(pty.devicePath);
    const reader = new FingerprintReader({ ...FAST_READER_OPTIONS, path: pty.hostPath });
    await reader.open();
    return {
      reader,
      close: async () => {
        await reader.close();
        await attachment.close();
        await pty.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
} else {
  describe('reader contract: socat pty', () => {
    it.todo('install socat to run the reader contract over a real pseudo-terminal');
  });
}

const hardwarePort = process.env.FINGERPRINT_TEST_PORT;
if (hardwarePort) {
  describeReaderContract(`real module on ${hardwarePort}`, async () => {
    const reader = new FingerprintReader({
      path: hardwarePort,
      password: process.env.FINGERPRINT_TEST_PASSWORD ? parseInt(process.env.FINGERPRINT_TEST_PASSWORD, 16) : undefined,
      model: process.env.FINGERPRINT_TEST_MODEL ?? 'r503',
    });
    await reader.open();
    return { reader, close: () => reader.close() };
  });
} else {
  describe('reader contract: real hardware', () => {
    it.todo('set FINGERPRINT_TEST_PORT=/dev/ttyUSB0 (R503 at 57600; FINGERPRINT_TEST_PASSWORD=hex if not default) to run it on a real module');
  });
}
