import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { Clock } from '@acs/clock';
import type { ProductInfo, SystemParameters } from '../fingerprint.commands.js';
import type { FingerprintError } from '../fingerprint.errors.js';
import type { CommandName, ModelProfile } from '../model-profile.js';
import type { FingerprintTransport } from '../transport.js';

/** Minimal logger seam; Nest's `Logger` satisfies it. Never pass template bytes to it. */
export interface FingerprintLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export const SILENT_LOGGER: FingerprintLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Link/device state, after libosdp's CP state machine:
 * idle → connecting → ready; ready → connecting on disconnect; connecting → failed after
 * `failAfterAttempts` consecutive failures (still retrying) or at once for a wrong password or
 * a swapped module (not retried until the port reconnects or staff confirm); any → closed.
 */
export type ReaderState = 'idle' | 'connecting' | 'ready' | 'failed' | 'closed';

export interface ReaderStateChange {
  from: ReaderState;
  to: ReaderState;
  /** Why, when leaving `ready` or entering `failed`. */
  error?: FingerprintError;
}

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Consecutive failed attempts before the state shows `failed` (retries continue). */
  failAfterAttempts?: number;
}

export interface PairingOptions {
  /** Secret written to the module's notepad; up to 32 bytes (strings are UTF-8, zero padded). */
  code: Buffer | string;
  /** Notepad page 0..15 (docs/r503-protocol.md §Notepad). Default 15. */
  page?: number;
}

export interface FingerprintReaderOptions {
  /** Serial device path or `tcp://host:port`. Ignored when `transport` is given. */
  path?: string;
  transport?: FingerprintTransport;
  /** Serial binding override for tests (MockBinding-based). */
  binding?: BindingInterface;
  /** Name used in logs and errors; defaults to the transport description. */
  name?: string;
  /** Default 0xFFFFFFFF (docs/r503-protocol.md §Link and defaults). */
  address?: number;
  /** Default 0x00000000. Verified on every (re)connect (docs/r503-protocol.md §Link and defaults). */
  password?: number;
  model?: string | ModelProfile;
  /** Only when the module cannot report its template size (no ReadProdInfo). */
  templateSize?: number;
  /** Line speed, for deadline arithmetic; default 57600 (docs/r503-protocol.md §Link and defaults). */
  baudRate?: number;
  pairing?: PairingOptions;
  /** Base reply deadline for simple commands (wire time is added). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Per-command deadline overrides. */
  timeouts?: Partial<Record<CommandName, number>>;
  /** Extra attempts for idempotent commands after a timeout or a garbled reply. Default 2. */
  retries?: number;
  /** Quiet time after a timeout before the next command, so a late reply can't be misread. Default min(commandTimeoutMs, 200). */
  settleMs?: number;
  /** Source of "now" for capture/lift polling deadlines. */
  clock?: Clock;
  reconnect?: ReconnectOptions;
  logger?: FingerprintLogger;
}

export interface SearchMatch {
  pageId: number;
  score: number;
}

export interface ReaderInfo {
  systemParameters: SystemParameters;
  productInfo?: ProductInfo;
  templateSize: number;
  packetSize: number;
  capacity: number;
}

export interface ReaderCounters {
  framesOk: number;
  malformed: number;
  badChecksum: number;
  notForUs: number;
  timeouts: number;
  retries: number;
  reconnects: number;
  /** OK replies whose shape did not fit the outstanding command (late answers to earlier ones). */
  staleReplies: number;
  /** Packets that arrived with no command outstanding (late replies, a deaf module's burst). */
  unsolicited: number;
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;
}
