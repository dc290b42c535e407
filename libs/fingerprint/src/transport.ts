import type { EventEmitter } from 'node:events';

/** Why a transport closed. `disconnected` is true for an unplug or a dropped connection. */
export interface TransportCloseInfo {
  disconnected: boolean;
  error?: Error;
}

/**
 * The byte pipe under a reader (libosdp `osdp_channel`). One instance may be opened again after
 * it closed: reconnect reuses it.
 *
 * Contract:
 * - `open()` resolves once bytes can flow, rejects with a readable error otherwise.
 * - `write()` resolves when the bytes were handed to the OS / socket; rejects if not open.
 * - `'data'` (chunk: Buffer) for every received chunk, frames may be split anywhere.
 * - `'close'` (info: TransportCloseInfo) exactly once per successful open, whether we closed it
 *   or the other side went away.
 * - `close()` is idempotent and resolves after `'close'` was emitted.
 */
export interface FingerprintTransport extends EventEmitter {
  /** Where the bytes go, e.g. "/dev/ttyUSB0" or "tcp://10.0.0.5:4001", for logs and errors. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}
