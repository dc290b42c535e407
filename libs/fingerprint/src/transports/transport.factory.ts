import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { FingerprintTransport } from '../transport.js';
import { SerialTransport } from './serial.transport.js';
import { TcpTransport } from './tcp.transport.js';

export interface TransportFactoryOptions {
  baudRate?: number;
  /** Serial binding override (tests). */
  binding?: BindingInterface;
  connectTimeoutMs?: number;
}

/** `tcp://host:port` opens a raw TCP transport; anything else is a serial device path. */
export function createTransport(path: string, options: TransportFactoryOptions = {}): FingerprintTransport {
  if (path.startsWith('tcp://')) {
    const url = new URL(path);
    const port = Number(url.port);
    if (!url.hostname || !url.port) throw new TypeError(`"${path}" must look like tcp://host:port`);
    return new TcpTransport({ host: url.hostname.replace(/^\[|\]$/g, ''), port, connectTimeoutMs: options.connectTimeoutMs });
  }
  return new SerialTransport({ path, baudRate: options.baudRate, binding: options.binding });
}
