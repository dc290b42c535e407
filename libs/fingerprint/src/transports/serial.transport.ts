import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface, PortInfo } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { FingerprintTransport, TransportCloseInfo } from '../transport.js';

export interface SerialTransportOptions {
  path: string;
  /** 9600 x N; the family's factory default is N=6, 57600 baud (docs/r503-protocol.md §Link and defaults). */
  baudRate?: number;
  /** Binding to use; defaults to the OS binding. Tests pass a MockBinding-based one. */
  binding?: BindingInterface;
  /** Exclusive lock on the device (serialport default true). */
  lock?: boolean;
}

/**
 * A serial device through node-serialport. serialport 13 reports an unplug as `close` with a
 * DisconnectedError (`disconnected: true`) and never reconnects by itself (docs/r503-protocol.md
 * §Host side: node-serialport); the reader owns reconnection, this class only opens a fresh stream
 * each time.
 */
export class SerialTransport extends EventEmitter implements FingerprintTransport {
  readonly description: string;
  private port?: SerialPortStream;
  private closing?: Promise<void>;

  constructor(private readonly options: SerialTransportOptions) {
    super();
    if (!options.path) throw new TypeError('"path" is required');
    this.description = options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.port) throw new Error(`${this.description} is already open`);
    const port = new SerialPortStream({
      binding: this.options.binding ?? (SerialPort.binding as BindingInterface),
      path: this.options.path,
      baudRate: this.options.baudRate ?? 57600,
      lock: this.options.lock ?? true,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    // Errors also surface as a rejected write or a close; keep the stream from throwing on them.
    port.on('error', () => undefined);
    port.once('close', (err?: Error & { disconnected?: boolean }) => {
      this.port = undefined;
      const info: TransportCloseInfo = { disconnected: err?.disconnected === true, error: err ?? undefined };
      this.emit('close', info);
    });
  }

  async write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error(`${this.description} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      this.once('close', () => resolve());
      port.close((err) => {
        // Closing an already-vanished device fails; the close event still follows or already fired.
        if (err && this.port === port) {
          this.port = undefined;
          this.emit('close', { disconnected: false, error: err } satisfies TransportCloseInfo);
        }
      });
    });
    return this.closing;
  }
}

/**
 * `SerialPort.list()` spawns udevadm on Linux, which minimal hosts and containers lack. Never
 * depend on it: this returns what it can and the failure instead of throwing.
 */
export async function listSerialPorts(): Promise<{ ports: PortInfo[]; error?: Error }> {
  try {
    return { ports: await SerialPort.list() };
  } catch (error) {
    return { ports: [], error: error as Error };
  }
}
