import { VirtualReader, VirtualReaderBinding, VirtualReaderTcpServer, type VirtualReaderOptions } from '../../../../hardware/virtual-reader/src/index.js';
import { FingerprintReader, type FingerprintReaderOptions } from '../fingerprint-reader.device.js';

export { VirtualReader, VirtualReaderBinding, VirtualReaderTcpServer, type VirtualReaderOptions };

/** Fast deadlines for tests: failures show up in milliseconds, not seconds. */
export const FAST_READER_OPTIONS: Partial<FingerprintReaderOptions> = {
  commandTimeoutMs: 250,
  timeouts: { GenImg: 250, GetImageEx: 250, Search: 400, Store: 400, Empty: 400 },
  retries: 1,
  reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, failAfterAttempts: 3 },
};

export interface ReaderHarness {
  reader: FingerprintReader;
  device: VirtualReader;
  close(): Promise<void>;
}

export interface MockReaderHarness extends ReaderHarness {
  binding: VirtualReaderBinding;
}

export interface HarnessOptions {
  /** A VirtualReader to use, or options to build one. */
  device?: VirtualReader | VirtualReaderOptions;
  /** Driver options (defaults to {@link FAST_READER_OPTIONS}). */
  reader?: Partial<FingerprintReaderOptions>;
  /** Wait for the first handshake (default true). */
  waitReady?: boolean;
}

function deviceFrom(device: HarnessOptions['device']): VirtualReader {
  return device instanceof VirtualReader ? device : new VirtualReader(device);
}

/**
 * A driver connected to an in-process virtual R503 over @serialport/binding-mock: the real
 * SerialPortStream, codec, framer and device class, with the module emulated at the byte level.
 * `binding.unplug()` / `binding.plug(otherDevice)` simulate cable pulls and module swaps.
 */
export async function openMockReader(options: HarnessOptions = {}): Promise<MockReaderHarness> {
  const device = deviceFrom(options.device);
  const binding = new VirtualReaderBinding(device);
  const reader = new FingerprintReader({ ...FAST_READER_OPTIONS, ...options.reader, path: binding.path, binding });
  const ready = reader.open();
  if (options.waitReady === false) ready.catch(() => undefined);
  else
    await ready.catch(async (err: unknown) => {
      await reader.close();
      throw err;
    });
  return { reader, device, binding, close: () => reader.close() };
}

export interface TcpReaderHarness extends ReaderHarness {
  server: VirtualReaderTcpServer;
  url: string;
}

/** The same over a raw-TCP "device server" on 127.0.0.1 (an ephemeral port). */
export async function openTcpReader(options: HarnessOptions = {}): Promise<TcpReaderHarness> {
  const device = deviceFrom(options.device);
  const server = new VirtualReaderTcpServer(device);
  const { url } = await server.listen(0);
  const reader = new FingerprintReader({ ...FAST_READER_OPTIONS, ...options.reader, path: url });
  const close = async () => {
    await reader.close();
    await server.close();
  };
  const ready = reader.open();
  if (options.waitReady === false) ready.catch(() => undefined);
  else
    await ready.catch(async (err: unknown) => {
      await close();
      throw err;
    });
  return { reader, device, server, url, close };
}

/** Wait for a reader state, failing after `timeoutMs` with the state it was in. */
export function waitForState(reader: FingerprintReader, state: FingerprintReader['state'], timeoutMs = 2000): Promise<void> {
  if (reader.state === state) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reader.off('state', onState);
      reject(new Error(`reader ${reader.name} did not reach ${state} within ${timeoutMs} ms (is ${reader.state})`));
    }, timeoutMs);
    const onState = (change: { to: string }) => {
      if (change.to !== state) return;
      clearTimeout(timer);
      reader.off('state', onState);
      resolve();
    };
    reader.on('state', onState);
  });
}
