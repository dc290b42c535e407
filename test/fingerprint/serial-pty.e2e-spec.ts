import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FingerprintErrorCode, FingerprintReader } from '@acs/fingerprint';
import { FAST_READER_OPTIONS, waitForState } from '@acs/fingerprint/testing';
import { VirtualReader } from '../../hardware/virtual-reader/src/index.js';
import { VirtualReaderSerialAttachment } from '../../hardware/virtual-reader/src/serial.attachment.js';
import { findSocat, PtyPair } from './socat-pty.js';

const socat = findSocat();
if (!socat) {
  // CI installs socat (.ci/run); locally: apt-get install socat.
  console.warn('serial-pty.e2e: socat not found, skipping the real pseudo-terminal tests (install socat to run them)');
}
const describeWithSocat = socat ? describe : describe.skip;

describeWithSocat('fingerprint reader over a real pseudo-terminal (socat + serialport bindings-cpp)', () => {
  let dir: string;
  let pty: PtyPair;
  let device: VirtualReader;
  let attachment: VirtualReaderSerialAttachment;
  let reader: FingerprintReader | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fp-pty-'));
    pty = new PtyPair(socat!, join(dir, 'module'), join(dir, 'host'));
    await pty.start();
    device = new VirtualReader({ capacity: 50, flashPath: join(dir, 'flash.json') });
    attachment = new VirtualReaderSerialAttachment(device);
    await attachment.open(pty.devicePath);
  });

  afterEach(async () => {
    await reader?.close();
    reader = undefined;
    await attachment.close();
    await pty.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls, identifies and transfers templates through the OS serial stack', async () => {
    reader = new FingerprintReader({ ...FAST_READER_OPTIONS, commandTimeoutMs: 500, path: pty.hostPath });
    await reader.open();
    expect(reader.info).toMatchObject({ templateSize: 1536, packetSize: 128, capacity: 50 });

    device.place('mallory-left-index');
    await reader.captureFinger(1, { timeoutMs: 1000 });
    const slot = await reader.storeInFreeSlot(1);
    device.place('mallory-left-index');
    await expect(reader.identify({ timeoutMs: 1000 })).resolves.toMatchObject({ pageId: slot });

    const template = await reader.uploadTemplate(1);
    expect(template).toHaveLength(1536);
    await reader.downloadTemplate(2, template);
    await reader.store(2, 7);
    await expect(reader.listTemplateIds()).resolves.toEqual([slot, 7]);
    expect(device.library().map((e) => e.slot)).toEqual([slot, 7]);
  });

  it('reports the cable loss when the pty vanishes and reconnects when it comes back', async () => {
    reader = new FingerprintReader({ ...FAST_READER_OPTIONS, path: pty.hostPath });
    await reader.open();
    await attachment.close();
    await pty.stop();
    await waitForState(reader, 'connecting', 3000);
    await expect(reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });

    await pty.start();
    await attachment.open(pty.devicePath);
    await waitForState(reader, 'ready', 5000);
    await expect(reader.templateCount()).resolves.toBe(0);
  });
});
