import { FingerprintReader, type FingerprintReaderOptions } from '@acs/fingerprint';
import { FAST_READER_OPTIONS } from '@acs/fingerprint/testing';
import { VirtualReaderBinding } from '../mock-binding.attachment.js';
import { VirtualReaderTcpServer } from '../tcp.attachment.js';
import { VirtualReader, type VirtualReaderOptions } from '../virtual-reader.js';

// The driver against this emulator. It lives on the hardware side because the emulator already
// depends on the driver lib's codec; the lib's own test helpers must not import the emulator back.

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
