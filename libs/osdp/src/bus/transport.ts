/**
 * The byte pipe under an OSDP bus. libs/fingerprint already has the serial (node-serialport) and
 * raw TCP (serial device server) transports with the contract a bus needs (open, write, 'data',
 * exactly one 'close' per open, reopenable), so the bus reuses them as they are instead of a second
 * copy; only the default speed differs (OSDP's customary 9600 baud, docs/osdp.md §Physical layer).
 * Reconnection with backoff is the bus's job (bus.ts), as it is the fingerprint reader's.
 */
import { createTransport, type FingerprintTransport, type TransportCloseInfo, type TransportFactoryOptions } from '@acs/fingerprint';

export type OsdpTransport = FingerprintTransport;
export type { TransportCloseInfo };

export const DEFAULT_OSDP_BAUD_RATE = 9600;

/** `tcp://host:port` for a serial device server, anything else a serial device path (e.g. a socat pty). */
export function createOsdpTransport(path: string, options: TransportFactoryOptions = {}): OsdpTransport {
  return createTransport(path, { ...options, baudRate: options.baudRate ?? DEFAULT_OSDP_BAUD_RATE });
}
