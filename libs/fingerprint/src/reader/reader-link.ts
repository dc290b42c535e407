import { setTimeout as delay } from 'node:timers/promises';
import { ConfirmationCode } from '../confirmation-code.js';
import {
  encodeDataPackets,
  encodePacket,
  FRAME_OVERHEAD,
  MAX_ACK_CONTENT_LENGTH,
  MAX_COMMAND_CONTENT_LENGTH,
  MAX_CONTENT_LENGTH,
  Pid,
  u32,
  wireLength,
  type Packet,
} from '../fingerprint.codec.js';
import { buildCommand, REPLY_RESULT_LENGTH, UnsupportedCommandError, type CommandParam } from '../fingerprint.commands.js';
import { FingerprintError, FingerprintErrorCode } from '../fingerprint.errors.js';
import { FingerprintFramer, type FramerDrop } from '../fingerprint.framer.js';
import type { CommandName, ModelProfile } from '../model-profile.js';
import type { FingerprintTransport } from '../transport.js';
import { hex32, type FingerprintLogger, type ReaderCounters } from './reader.types.js';

/** The module's answer to one command: confirmation code and the result bytes after it. */
export interface Ack {
  confirmation: number;
  result: Buffer;
}

interface CommandSpec {
  idempotent: boolean;
  /** Base deadline before wire time, ms. */
  timeoutMs?: number;
}

/**
 * Retrying a non-idempotent command after a lost reply can do harm: SetAdder/SetPwd/SetSysPara
 * change how the module answers, DownChar leaves it expecting data, RegModel and GenImg replace
 * buffer contents, Auto* run multi-step flows.
 */
const COMMAND_SPECS: Record<CommandName, CommandSpec> = {
  GenImg: { idempotent: false, timeoutMs: 2000 },
  GetImageEx: { idempotent: false, timeoutMs: 2000 },
  Img2Tz: { idempotent: true, timeoutMs: 1500 },
  Match: { idempotent: true, timeoutMs: 1500 },
  Search: { idempotent: true, timeoutMs: 2500 },
  HiSpeedSearch: { idempotent: true, timeoutMs: 2500 },
  RegModel: { idempotent: false, timeoutMs: 1500 },
  Store: { idempotent: true, timeoutMs: 2000 },
  LoadChar: { idempotent: true, timeoutMs: 1500 },
  UpChar: { idempotent: true },
  DownChar: { idempotent: false },
  UpImage: { idempotent: true },
  DownImage: { idempotent: false },
  DeletChar: { idempotent: true, timeoutMs: 2000 },
  Empty: { idempotent: true, timeoutMs: 4000 },
  SetSysPara: { idempotent: false },
  ReadSysPara: { idempotent: true },
  SetPwd: { idempotent: false },
  VfyPwd: { idempotent: true },
  GetRandomCode: { idempotent: true },
  SetAdder: { idempotent: false },
  WriteNotepad: { idempotent: true, timeoutMs: 1500 },
  ReadNotepad: { idempotent: true },
  TemplateNum: { idempotent: true },
  ReadIndexTable: { idempotent: true },
  Cancel: { idempotent: true },
  AutoEnroll: { idempotent: false, timeoutMs: 60_000 },
  AutoIdentify: { idempotent: false, timeoutMs: 30_000 },
  AuraLedConfig: { idempotent: true },
  CheckSensor: { idempotent: true },
  ReadProdInfo: { idempotent: true },
  SoftRst: { idempotent: false },
  HandShake: { idempotent: true },
  LedOn: { idempotent: true },
  LedOff: { idempotent: true },
};

export function isIdempotent(command: CommandName): boolean {
  return COMMAND_SPECS[command].idempotent;
}

/** Gap allowed between data packets of one UpChar before the transfer is declared dead. */
const DATA_PACKET_GAP_MS = 500;
/** Packet size assumed before the handshake has read the real one (the module's default). */
const DEFAULT_PACKET_SIZE = 128;

export interface ReaderLinkOptions {
  transport: FingerprintTransport;
  /** For logs and errors. */
  name: string;
  address: number;
  profile: ModelProfile;
  baudRate: number;
  retries: number;
  commandTimeoutMs: number;
  timeouts: Partial<Record<CommandName, number>>;
  settleMs: number;
  logger: FingerprintLogger;
  /** The password to re-verify with when the module forgot it (0x21); SetPwd changes it. */
  password(): number;
  /** Data packet size read at the handshake; undefined before the first one. */
  packetSize(): number | undefined;
  /** Every frame the framer threw away, for the reader's 'drop' event. */
  onDrop?(drop: FramerDrop): void;
}

interface PendingRequest {
  onPacket(packet: Packet): void;
  fail(error: FingerprintError): void;
}

/**
 * The link and transaction layer of the driver: framing I/O over one transport, one outstanding
 * command per port (the module is half-duplex: docs/r503-protocol.md §Link and defaults),
 * deadlines that cover the wire time, retries for idempotent commands and the quiet periods that
 * keep a late reply from being taken for the next command's. It knows commands only by name and
 * reply length; what a reply means is the command layer's business.
 */
export class ReaderLink {
  readonly counters: ReaderCounters = {
    framesOk: 0,
    malformed: 0,
    badChecksum: 0,
    notForUs: 0,
    timeouts: 0,
    retries: 0,
    reconnects: 0,
    staleReplies: 0,
    unsolicited: 0,
  };
  private readonly framer: FingerprintFramer;
  private queue: Promise<unknown> = Promise.resolve();
  private pending?: PendingRequest;
  /** Wire time of data we streamed without a reply (DownChar); the next deadline must cover it. */
  private unansweredWireMs = 0;
  /** No command goes out before this instant (ms since epoch): the settle period after a timeout. */
  private quietUntil = 0;

  constructor(private readonly o: ReaderLinkOptions) {
    // A header promising more than the module can send is noise: refuse it at once rather than
    // wait for bytes that would swallow the real reply behind it (issue 16).
    this.framer = new FingerprintFramer({
      address: o.address,
      maxContentLength: (pid) =>
        pid === Pid.Ack ? MAX_ACK_CONTENT_LENGTH : pid === Pid.Command ? MAX_COMMAND_CONTENT_LENGTH : (o.packetSize() ?? MAX_CONTENT_LENGTH),
    });
    this.framer.on('data', (packet: Packet) => this.onPacket(packet));
    this.framer.on('drop', (drop: FramerDrop) => this.onDrop(drop));
    o.transport.on('data', (chunk: Buffer) => this.framer.write(chunk));
  }

  /** Run jobs one after another, whatever the previous one did: one outstanding command per port. */
  enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Fail the outstanding command (disconnect, close) and forget any partial frame. */
  abort(error: FingerprintError): void {
    this.pending?.fail(error);
    this.framer.reset();
  }

  /** Forget any partial frame (a new connection starts clean). */
  resetFramer(): void {
    this.framer.reset();
  }

  /** Keep the line quiet for at least `ms` from now before the next command goes out. */
  holdQuiet(ms: number): void {
    this.quietUntil = Math.max(this.quietUntil, Date.now() + ms);
  }

  get settleMs(): number {
    return this.o.settleMs;
  }

  /** Extra attempts an idempotent command gets after a timeout or a garbled reply. */
  get retries(): number {
    return this.o.retries;
  }

  wireMsFor(bytes: number): number {
    return (bytes * 10 * 1000) / this.o.baudRate;
  }

  /** One command, one ACK, with the retry policy of the command. */
  async transact(command: CommandName, params: CommandParam[]): Promise<Ack> {
    const attempts = COMMAND_SPECS[command].idempotent ? this.o.retries + 1 : 1;
    let reverified = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await this.transactOnce(command, params);
        // 0x21: the module forgot our VfyPwd (power blip behind a device server that kept the TCP
        // link, or a failed probe). It refused without executing, so re-verify and resend once,
        // whatever the command.
        if (ack.confirmation === ConfirmationCode.PasswordRequired && command !== 'VfyPwd' && !reverified) {
          reverified = true;
          this.o.logger.warn(`fingerprint reader ${this.o.name}: module asked for the password again; re-verifying`);
          const vfy = await this.transactOnce('VfyPwd', [u32(this.o.password())]);
          if (vfy.confirmation !== ConfirmationCode.Ok) return ack;
          attempt--;
          continue;
        }
        // 0x01: the module saw a garbled command; safe to resend only if idempotent.
        if (ack.confirmation === ConfirmationCode.PacketReceiveError && attempt < attempts) {
          this.counters.retries++;
          continue;
        }
        return ack;
      } catch (err) {
        const error = asFingerprintError(err, this.o.name);
        const retryable = error.code === FingerprintErrorCode.Timeout || error.code === FingerprintErrorCode.Protocol;
        if (!retryable || attempt >= attempts) throw error;
        this.counters.retries++;
        this.o.logger.debug?.(`fingerprint reader ${this.o.name}: ${command} attempt ${attempt} failed (${error.message}); retrying`);
        this.framer.reset();
      }
    }
  }

  /**
   * One command whose OK reply is followed by data packets the module streams without per-packet
   * ACKs (UpChar: docs/r503-protocol.md §Data packets and template size). `onData` sees each
   * packet and says whether more are due; it may throw to abandon the transfer. No retry here:
   * the caller knows how long the abandoned stream needs to drain.
   */
  receive(command: CommandName, params: CommandParam[], onData: (packet: Packet) => 'more' | 'done'): Promise<Ack> {
    return this.transactOnce(command, params, (ack) => (ack.confirmation === ConfirmationCode.Ok ? 'data' : 'done'), onData);
  }

  /**
   * Stream data packets the module answers none of (DownChar after its ACK 00: docs/r503-protocol.md
   * §Data packets and template size); their wire time is added to the next command's deadline.
   */
  async send(command: CommandName, data: Buffer, packetSize: number): Promise<void> {
    const bytes = Buffer.concat(encodeDataPackets(this.o.address, data, packetSize));
    this.unansweredWireMs += this.wireMsFor(bytes.length);
    await this.o.transport.write(bytes).catch((err: Error) => {
      throw new FingerprintError(FingerprintErrorCode.Disconnected, `${command}: write to ${this.o.name} failed: ${err.message}`);
    });
  }

  private deadline(command: CommandName, requestBytes: number, replyBytes: number): number {
    const base = this.o.timeouts[command] ?? COMMAND_SPECS[command].timeoutMs ?? this.o.commandTimeoutMs;
    // libosdp cp_calculate_transmit_time: the deadline must cover the bytes' time on the wire.
    const wireMs = ((requestBytes + replyBytes) * 10 * 1000) / this.o.baudRate;
    const backlog = this.unansweredWireMs;
    this.unansweredWireMs = 0;
    return Math.ceil(base + wireMs + backlog);
  }

  private transactOnce(
    command: CommandName,
    params: CommandParam[],
    onAck?: (ack: Ack) => 'done' | 'data',
    onData?: (packet: Packet) => 'more' | 'done',
  ): Promise<Ack> {
    let content: Buffer;
    try {
      content = buildCommand(this.o.profile, command, ...params);
    } catch (err) {
      if (err instanceof UnsupportedCommandError) {
        return Promise.reject(new FingerprintError(FingerprintErrorCode.Unsupported, err.message, { command, reader: this.o.name }));
      }
      throw err;
    }
    const frame = encodePacket({ address: this.o.address, pid: Pid.Command, content });
    const replyBytes = FRAME_OVERHEAD + 1 + (REPLY_RESULT_LENGTH[command] ?? 0);
    const timeoutMs = this.deadline(command, frame.length, replyBytes);
    return this.exchange(command, frame, timeoutMs, onAck, onData);
  }

  /**
   * The protocol has no sequence numbers, so a reply that arrives after its deadline could be
   * taken for the answer to the next command. Two defences: after a timeout the line must stay
   * quiet for a settle period (late replies land on no pending request and are dropped), and an
   * OK reply whose result length doesn't fit the command is ignored as stale.
   */
  private async exchange(
    command: CommandName,
    frame: Buffer,
    timeoutMs: number,
    onAck?: (ack: Ack) => 'done' | 'data',
    onData?: (packet: Packet) => 'more' | 'done',
  ): Promise<Ack> {
    if (this.pending) {
      throw new FingerprintError(FingerprintErrorCode.Protocol, `${command} issued while another command is outstanding`);
    }
    const wait = this.quietUntil - Date.now();
    if (wait > 0) await delay(wait);
    // The module speaks only when spoken to, so nothing that arrived before this command can be
    // part of its reply: a partial frame held now (a reply cut short, then silence) would only
    // swallow the real answer until the deadline (issue 16).
    this.framer.discardPartial('stale before a new command');
    const expectedResult = command === 'UpChar' || command === 'UpImage' ? 0 : (REPLY_RESULT_LENGTH[command] ?? 0);
    const dataGapMs = () => DATA_PACKET_GAP_MS + this.wireMsFor(wireLength(this.o.packetSize() ?? DEFAULT_PACKET_SIZE));
    const { name, address } = this.o;
    return new Promise<Ack>((resolve, reject) => {
      let ack: Ack | undefined;
      let timer: NodeJS.Timeout;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.counters.timeouts++;
          this.quietUntil = Date.now() + this.o.settleMs;
          finish(
            new FingerprintError(
              FingerprintErrorCode.Timeout,
              ack
                ? `${command}: data transfer from ${name} stalled after ${ms} ms`
                : `${command}: no reply from ${name} at address ${hex32(address)} within ${ms} ms`,
              { command, reader: name },
            ),
          );
        }, ms);
      };
      const finish = (error?: FingerprintError) => {
        clearTimeout(timer);
        if (this.pending === pending) this.pending = undefined;
        if (error) {
          this.framer.reset();
          reject(error);
        } else resolve(ack!);
      };
      const pending: PendingRequest = {
        fail: (error) => finish(error),
        onPacket: (packet) => {
          if (!ack) {
            // Stray data packets (the tail of an aborted transfer) are not an answer.
            if (packet.pid !== Pid.Ack) return;
            const candidate = { confirmation: packet.content[0], result: packet.content.subarray(1) };
            if (candidate.confirmation === ConfirmationCode.Ok && candidate.result.length !== expectedResult) {
              this.counters.staleReplies++;
              this.o.logger.debug?.(`fingerprint reader ${name}: ${command}: ignoring an ACK shaped for another command`);
              return;
            }
            ack = candidate;
            const next = onAck ? onAck(ack) : 'done';
            if (next === 'done') finish();
            else arm(dataGapMs());
            return;
          }
          if (packet.pid !== Pid.Data && packet.pid !== Pid.EndData) {
            finish(new FingerprintError(FingerprintErrorCode.Protocol, `${command}: expected a data packet, got PID ${packet.pid}`, { command }));
            return;
          }
          try {
            if (onData!(packet) === 'done') finish();
            else arm(dataGapMs());
          } catch (err) {
            finish(asFingerprintError(err, name));
          }
        },
      };
      this.pending = pending;
      arm(timeoutMs);
      this.o.transport
        .write(frame)
        .catch((err: Error) =>
          finish(new FingerprintError(FingerprintErrorCode.Disconnected, `${command}: write to ${name} failed: ${err.message}`, { command, reader: name })),
        );
    });
  }

  private onPacket(packet: Packet): void {
    this.counters.framesOk++;
    if (this.pending) {
      this.pending.onPacket(packet);
      return;
    }
    // An answer nobody asked for: late replies, or a module that was deaf and now answers a
    // burst of earlier commands at once. Let the line settle before the next command so the rest
    // of the burst cannot be taken for its reply.
    this.counters.unsolicited++;
    this.holdQuiet(this.o.settleMs);
    this.o.logger.debug?.(`fingerprint reader ${this.o.name}: unsolicited packet PID ${packet.pid} dropped`);
  }

  private onDrop(drop: FramerDrop): void {
    if (drop.kind === 'malformed') this.counters.malformed++;
    else if (drop.kind === 'bad-checksum') this.counters.badChecksum++;
    else this.counters.notForUs++;
    this.o.onDrop?.(drop);
  }
}

/** The confirmation must be OK; anything else is a {@link FingerprintError} naming the command. */
export function checkAck(command: CommandName, ack: Ack, reader: string): void {
  if (ack.confirmation !== ConfirmationCode.Ok) throw FingerprintError.confirmation(command, ack.confirmation, reader);
}

/** Confirmation must be OK and the result as long as the datasheet says (docs/r503-protocol.md §Instruction set). */
export function ackResult(command: CommandName, ack: Ack, reader: string): Buffer {
  checkAck(command, ack, reader);
  const expected = REPLY_RESULT_LENGTH[command] ?? 0;
  if (ack.result.length < expected) {
    throw new FingerprintError(FingerprintErrorCode.Protocol, `${command}: reply carries ${ack.result.length} result bytes, expected ${expected}`, {
      command,
      reader,
    });
  }
  return ack.result.subarray(0, expected);
}

export function asFingerprintError(err: unknown, reader: string): FingerprintError {
  if (err instanceof FingerprintError) return err;
  return new FingerprintError(FingerprintErrorCode.Protocol, `reader ${reader}: ${(err as Error)?.message ?? String(err)}`, { reader });
}
