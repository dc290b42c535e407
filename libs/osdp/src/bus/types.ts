import type { Clock } from '@acs/clock';
import type { Command } from '../commands.js';
import type { OsdpFramerDrop } from '../framer.js';
import type { Reply } from '../replies.js';
import type { RandomSource } from '../secure/keys.js';
import type { HandshakeFailureReason, KeyMode } from '../secure/handshake.js';
import type { OsdpTimers } from './timers.js';
import type { OsdpTransport } from './transport.js';

/** Commands an application may queue for a PD; POLL and the secure-channel set-up are the bus's own. */
export type QueuedCommand = Extract<Command, { kind: 'LED' | 'BUZ' | 'TEXT' | 'COMSET' | 'KEYSET' | 'ID' | 'CAP' | 'LSTAT' }>;

/**
 * 'required': the bus sets up the secure channel on every (re)connect whatever the capabilities
 * say, and sends nothing but ID, CAP and the set-up in plain. 'if-capable' (default): when the
 * PD's osdp_PDCAP declares AES-128 (function 9) and the key provider has a key, or the PD is in
 * install mode. 'off': plain only.
 */
export type SecureMode = 'required' | 'if-capable' | 'off';

export interface PdOptions {
  /** 0x00–0x7E. */
  address: number;
  secure?: SecureMode;
  /** Offer SCBK-D (the public default key) to this PD so that KEYSET can give it its own key. */
  installMode?: boolean;
}

/** The PD's own SCBK (16 bytes), or undefined when it has none yet. Called before every set-up. */
export type KeyProvider = (address: number) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface OsdpBusOptions {
  /** A device path (serial or pty) or tcp://host:port; or an already built transport. */
  path?: string;
  transport?: OsdpTransport;
  baudRate?: number;
  pds: PdOptions[];
  keys?: KeyProvider;
  clock: Clock;
  timers?: OsdpTimers;
  random?: RandomSource;
  /** Reply timeout per command, spec 200 ms (docs/osdp.md §Physical layer). */
  replyTimeoutMs?: number;
  /** Resends after a reply timeout before a command fails (default 2). */
  retries?: number;
  /** A PD is offline this long after its last valid reply (spec 8 s). */
  offlineAfterMs?: number;
  /**
   * A full poll round takes at least this long (default 50 ms, as libosdp's refresh). 0: the next
   * round starts as soon as one ends (the benchmark's setting, docs/osdp.md §Performance).
   */
  pollIntervalMs?: number;
  /** Wait before resending a command a PD answered osdp_BUSY (default 800 ms, libosdp OSDP_CMD_RETRY_WAIT_MS). */
  busyRetryMs?: number;
  /** Reconnect backoff for the transport. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; factor?: number };
  /** Largest packet accepted from the line (default 1440). */
  maxPacketLength?: number;
}

export type OsdpCommandErrorCode =
  /** The PD answered osdp_NAK; `nak` holds the reason code (NakCode). */
  | 'nak'
  /** No valid reply after all retries. */
  | 'timeout'
  /** The PD is offline or went offline while the command waited. */
  | 'offline'
  /** The bus was closed. */
  | 'closed'
  /** The command needs a secure channel this PD does not have (KEYSET; any command under 'required'). */
  | 'not-secure'
  /** The PD failed secure-channel set-up and is not trusted. */
  | 'untrusted'
  /** The PD answered with a reply that does not fit the command. */
  | 'unexpected-reply'
  /** The bus failed to build or handle the exchange (a bug or a throwing key provider); the PD restarts. */
  | 'internal';

/** Why a queued command did not get the reply it wanted. Carries codes only, never payload bytes. */
export class OsdpCommandError extends Error {
  override readonly name = 'OsdpCommandError';
  constructor(
    readonly code: OsdpCommandErrorCode,
    readonly address: number,
    readonly command: string,
    readonly nak?: number,
  ) {
    super(`OSDP PD ${address}: ${command} failed: ${code}${nak === undefined ? '' : ` (NAK ${nak})`}`);
  }
}

export type SecureChannelState =
  | { address: number; state: 'established'; keyMode: KeyMode }
  /** The session ended (sequence restart, KEYSET, bad MAC, PD went offline); the bus sets it up again. */
  | { address: number; state: 'lost'; reason: string }
  | { address: number; state: 'failed'; keyMode: KeyMode; reason: HandshakeFailureReason | 'no_key'; nak?: number };

/** A tamper-class alarm: the PD cannot be trusted, or its tamper switch tripped. */
export interface OsdpAlarm {
  address: number;
  class: 'tamper';
  source: 'secure-channel' | 'local-status';
  reason: string;
}

/** A card read (osdp_RAW or osdp_FMT). Personal data: never log it or put it in an error. */
export interface CardRead {
  address: number;
  reader: number;
  /** RAW: the format byte (0 unspecified, 1 Wiegand); FMT: 'fmt'. */
  format: number | 'fmt';
  bitCount: number;
  /** RAW: the bits, first bit in the MSB of byte 0; FMT: the characters. */
  data: Buffer;
  /** Under a secure channel keyed with this key, or 'plain'. */
  security: KeyMode | 'plain';
}

/** Keypad input (osdp_KEYPAD): digits '0'–'9', '*' (0x7F) and '#' (0x0D). Personal data (PINs). */
export interface KeypadInput {
  address: number;
  reader: number;
  keys: string;
  security: KeyMode | 'plain';
}

export interface LocalStatus {
  address: number;
  tamper: boolean;
  powerFailure: boolean;
}

export interface OsdpBusEvents {
  online: [{ address: number }];
  offline: [{ address: number; reason: 'no-reply' | 'transport-closed' }];
  secure: [SecureChannelState];
  alarm: [OsdpAlarm];
  card: [CardRead];
  keypad: [KeypadInput];
  status: [LocalStatus];
  /** A reply the bus could not use, or a framer drop, by kind (never the bytes). */
  drop: [{ kind: OsdpFramerDrop['kind'] | BusDropKind; address?: number }];
  transport: [{ state: 'open' | 'closed'; error?: string }];
  /** Informational: a reply other than ACK/NAK to a poll that the bus does not handle. */
  reply: [{ address: number; reply: Reply }];
}

/** Drops the bus itself decides on (after the framer). */
export type BusDropKind =
  | 'unsolicited'
  | 'wrong-sequence'
  | 'bad-mac'
  | 'plain-under-sc'
  | 'bad-payload'
  | 'untrusted-card'
  | 'untrusted-keypad'
  /** A key provider threw, or a packet could not be built: the PD starts over. */
  | 'internal-error';
