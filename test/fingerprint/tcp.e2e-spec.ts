import { afterEach, describe, expect, it } from '@jest/globals';
import { FingerprintErrorCode, FingerprintReader } from '@acs/fingerprint';
import { FAST_READER_OPTIONS, waitForState } from '@acs/fingerprint/testing';
import { VirtualReader, VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/index.js';
import { openTcpReader, type TcpReaderHarness } from '../../hardware/virtual-reader/src/testing/harness.js';

describe('fingerprint reader over raw TCP (serial device server)', () => {
  let h: TcpReaderHarness | undefined;
  const extra: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const close of extra.splice(0)) await close();
  });

  it('runs the enroll and identify flow over tcp://host:port', async () => {
    h = await openTcpReader({ device: { capacity: 20 } });
    expect(h.reader.name).toBe(h.url);
    // The person at the sensor follows the module's commands, not a stopwatch: lift once the first
    // image is converted (Img2Tz), place again once the module has polled the empty sensor (GenImg).
    const device = h.device;
    const next = (op: number) =>
      new Promise<void>((resolve) => {
        const on = (seen: number) => {
          if (seen !== op) return;
          device.off('command', on);
          resolve();
        };
        device.on('command', on);
      });
    device.place('oscar');
    const converted = next(0x02);
    const enrolling = h.reader.enroll({ timeoutMs: 2000, pollIntervalMs: 5 });
    await converted;
    const polledEmpty = next(0x01);
    device.lift();
    await polledEmpty;
    device.place('oscar');
    const { slot } = await enrolling;
    await expect(h.reader.identify({ timeoutMs: 500 })).resolves.toMatchObject({ pageId: slot });
  });

  it('reconnects after the device server drops the connection', async () => {
    h = await openTcpReader();
    h.server.dropClient();
    await waitForState(h.reader, 'connecting');
    await waitForState(h.reader, 'ready');
    await expect(h.reader.templateCount()).resolves.toBe(0);
    expect(h.reader.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('goes failed while the server is down and recovers when it is back on the same port', async () => {
    const device = new VirtualReader();
    const server = new VirtualReaderTcpServer(device);
    const { port, url } = await server.listen(0);
    const reader = new FingerprintReader({ ...FAST_READER_OPTIONS, path: url, reconnect: { initialDelayMs: 10, maxDelayMs: 50, failAfterAttempts: 2 } });
    extra.push(() => reader.close());
    await reader.open();
    await server.close();
    await waitForState(reader, 'failed');
    expect(reader.lastError?.code).toBe(FingerprintErrorCode.Disconnected);
    expect(reader.lastError?.message).toMatch(/ECONNREFUSED|disconnected|closed/);

    const again = new VirtualReaderTcpServer(device);
    extra.push(() => again.close());
    await again.listen(port);
    await waitForState(reader, 'ready', 3000);
    await expect(reader.templateCount()).resolves.toBe(0);
  });
});
