import type { Command } from '../commands.js';
import type { Integrity, Sequence } from '../packet.js';
import type { Capability, Reply } from '../replies.js';
import type { AcuState, ServerCryptogramMessage } from '../secure/handshake.js';
import type { SessionSecurity } from './session-security.js';
import { OsdpCommandError, type PdOptions, type QueuedCommand, type SecureMode } from './types.js';

/** PDCAP function 9 "communication security", compliance bit 0: AES-128 (docs/osdp.md §Replies). */
const CAP_COMMUNICATION_SECURITY = 9;

export interface PendingCommand {
  command: QueuedCommand;
  resolve: (reply: Reply) => void;
  reject: (error: OsdpCommandError) => void;
}

/** What the bus sends a PD next and why; `pending` only for an application's command. */
export type Job =
  | { purpose: 'poll'; command: Command }
  | { purpose: 'identify'; command: Command }
  | { purpose: 'capabilities'; command: Command }
  | { purpose: 'chlng'; command: Command; keyByte: number }
  | { purpose: 'scrypt'; command: Command; keyByte: number }
  | { purpose: 'queued'; command: Command; pending: PendingCommand };

/** A packet answered osdp_BUSY, to be sent again unchanged (same bytes, same SQN) after `notBefore`. */
export interface HeldPacket {
  job: Job;
  bytes: Buffer;
  sequence: Sequence;
  notBefore: number;
}

/**
 * Bring-up after every (re)start at SQN 0: identify (osdp_ID), capabilities (osdp_CAP), then the
 * secure channel when wanted, then ready (polls and queued commands).
 */
export type Phase = 'identify' | 'capabilities' | 'secure' | 'ready';

/** The bus's view of one PD on the line: link, sequence number, secure channel, queue. */
export class PdSession {
  readonly address: number;
  readonly mode: SecureMode;
  installMode: boolean;
  /** undefined: the next command starts the PD at SQN 0 (OSDP v2.2 §5, docs/osdp.md §Sequence numbers). */
  private lastSequence: Sequence | undefined;
  online = false;
  lastReplyAt: number;
  phase: Phase = 'identify';
  caps?: Capability[];
  pdid?: Extract<Reply, { kind: 'PDID' }>;
  integrity: Integrity = 'crc';
  security?: SessionSecurity;
  handshake?: AcuState;
  scrypt?: ServerCryptogramMessage;
  /** Set once a secure-channel set-up failed: never trusted again on this bus (no card reads). */
  untrusted?: string;
  /** The SCBK given with KEYSET, used for every later set-up on this bus. */
  newKey?: Buffer;
  held?: HeldPacket;
  /** The key provider had no key (and no install mode): set-up is not tried again on this bus. */
  noKey = false;
  readonly queue: PendingCommand[] = [];
  lastTamper = false;

  constructor(options: PdOptions, now: number) {
    if (!Number.isInteger(options.address) || options.address < 0 || options.address > 0x7e) {
      throw new RangeError(`OSDP PD address must be 0..126, got ${options.address}`);
    }
    this.address = options.address;
    this.mode = options.secure ?? 'if-capable';
    this.installMode = options.installMode ?? false;
    this.lastReplyAt = now;
  }

  /** The SQN for the next new command: 0 after a restart, then 1, 2, 3, 1, ... */
  nextSequence(): Sequence {
    return this.lastSequence === undefined ? 0 : (((this.lastSequence % 3) + 1) as Sequence);
  }

  commitSequence(sequence: Sequence): void {
    this.lastSequence = sequence;
  }

  /**
   * Starts the PD over: SQN 0 next, which also ends its secure session on the PD's side (libosdp
   * `phy_check_packet`), and bring-up from osdp_ID. Returns true when a secure session was dropped.
   */
  restart(): boolean {
    const hadSession = this.security !== undefined;
    this.lastSequence = undefined;
    this.security = undefined;
    this.handshake = undefined;
    this.scrypt = undefined;
    // A command held after osdp_BUSY goes again, as a new command, once the PD is back up.
    if (this.held?.job.purpose === 'queued') this.queue.unshift(this.held.job.pending);
    this.held = undefined;
    this.phase = 'identify';
    return hadSession;
  }

  /** Whether the bring-up should set up a secure channel (see {@link SecureMode}). */
  wantsSecure(): boolean {
    if (this.mode === 'off') return false;
    if (this.mode === 'required') return true;
    return (this.caps ?? []).some((c) => c.function === CAP_COMMUNICATION_SECURITY && (c.compliance & 0x01) === 1);
  }

  rejectAll(code: OsdpCommandError['code']): void {
    for (const pending of this.queue.splice(0)) pending.reject(new OsdpCommandError(code, this.address, pending.command.kind));
    if (this.held?.job.purpose === 'queued') {
      const { pending } = this.held.job;
      this.held = undefined;
      pending.reject(new OsdpCommandError(code, this.address, pending.command.kind));
    }
  }
}
