import { EventEmitter } from 'node:events';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { SystemClock, type Clock } from '@acs/clock';
import { ConfirmationCode } from './confirmation-code.js';
import {
  DEFAULT_ADDRESS,
  DEFAULT_PASSWORD,
  encodeDataPackets,
  encodePacket,
  FRAME_OVERHEAD,
  MAX_ACK_CONTENT_LENGTH,
  MAX_COMMAND_CONTENT_LENGTH,
  MAX_CONTENT_LENGTH,
  Pid,
  u16,
  u32,
  wireLength,
  type Packet,
} from './fingerprint.codec.js';
import {
  AuraColour,
  AuraControl,
  buildCommand,
  parseIndexTable,
  parseProductInfo,
  parseSystemParameters,
  REPLY_RESULT_LENGTH,
  SysParaRegister,
  UnsupportedCommandError,
  type CommandParam,
  type ProductInfo,
  type SystemParameters,
} from './fingerprint.commands.js';
import { FingerprintError, FingerprintErrorCode } from './fingerprint.errors.js';
import { FingerprintFramer, type FramerDrop } from './fingerprint.framer.js';
import { resolveModel, type CommandName, type ModelProfile } from './model-profile.js';
import type { FingerprintTransport, TransportCloseInfo } from './transport.js';
import { createTransport } from './transports/transport.factory.js';

/** Minimal logger seam; Nest's `Logger` satisfies it. Never pass template bytes to it. */
export interface FingerprintLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

const SILENT_LOGGER: FingerprintLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

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

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_RETRIES = 2;
/** Gap allowed between data packets of one UpChar before the transfer is declared dead. */
const DATA_PACKET_GAP_MS = 500;
const NOTEPAD_PAGE_SIZE = 32;
const NOTEPAD_PAGES = 16;

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

interface PendingRequest {
  onPacket(packet: Packet): void;
  fail(error: FingerprintError): void;
}

type Ack = { confirmation: number; result: Buffer };

/**
 * Driver for one ZhianTec-family module on one port. Owns the command queue (one outstanding
 * command per port, as the half-duplex module requires: docs/r503-protocol.md §Link and defaults),
 * deadlines, retries for idempotent commands, reconnect with backoff, and the identity check on
 * every connect.
 *
 * Expected outcomes are return values (no finger → `false`, no match → `null`); everything else
 * the module refuses is a {@link FingerprintError} naming the command and the confirmation code.
 */
export class FingerprintReader extends EventEmitter {
  readonly name: string;
  readonly profile: ModelProfile;
  private readonly transport: FingerprintTransport;
  private readonly framer: FingerprintFramer;
  private address: number;
  private password: number;
  private readonly baudRate: number;
  private readonly retries: number;
  private readonly commandTimeoutMs: number;
  private readonly timeouts: Partial<Record<CommandName, number>>;
  private readonly reconnectOptions: Required<ReconnectOptions>;
  private readonly logger: FingerprintLogger;
  private readonly clock: Clock;
  private readonly pairingCode?: Buffer;
  private readonly pairingPage: number;
  private readonly templateSizeOverride?: number;

  private _state: ReaderState = 'idle';
  private _lastError?: FingerprintError;
  private _info?: ReaderInfo;
  private knownSerial?: string;
  private queue: Promise<unknown> = Promise.resolve();
  private pending?: PendingRequest;
  private handshaking = false;
  private closingByUs = false;
  private reconnectTimer?: NodeJS.Timeout;
  private consecutiveFailures = 0;
  /** Wire time of data we streamed without a reply (DownChar); the next deadline must cover it. */
  private unansweredWireMs = 0;
  /** No command goes out before this instant (ms since epoch): the settle period after a timeout. */
  private quietUntil = 0;
  private readonly settleMs: number;
  private readonly counters: ReaderCounters = {
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

  constructor(options: FingerprintReaderOptions) {
    super();
    this.profile = resolveModel(options.model);
    this.baudRate = options.baudRate ?? 57600;
    if (options.transport) {
      this.transport = options.transport;
    } else if (options.path) {
      this.transport = createTransport(options.path, { baudRate: this.baudRate, binding: options.binding });
    } else {
      throw new TypeError('FingerprintReader needs "path" or "transport"');
    }
    this.name = options.name ?? this.transport.description;
    this.address = (options.address ?? DEFAULT_ADDRESS) >>> 0;
    this.password = (options.password ?? DEFAULT_PASSWORD) >>> 0;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.settleMs = options.settleMs ?? Math.min(this.commandTimeoutMs, 200);
    this.timeouts = options.timeouts ?? {};
    this.reconnectOptions = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      factor: options.reconnect?.factor ?? 2,
      failAfterAttempts: options.reconnect?.failAfterAttempts ?? 3,
    };
    this.logger = options.logger ?? SILENT_LOGGER;
    this.clock = options.clock ?? new SystemClock();
    if (options.pairing) {
      this.pairingCode = toNotepadPage(options.pairing.code);
      this.pairingPage = options.pairing.page ?? NOTEPAD_PAGES - 1;
      if (!Number.isInteger(this.pairingPage) || this.pairingPage < 0 || this.pairingPage >= NOTEPAD_PAGES) {
        throw new TypeError('"pairing.page" must be 0..15');
      }
    } else {
      this.pairingPage = NOTEPAD_PAGES - 1;
    }
    this.templateSizeOverride = options.templateSize;

    // A header promising more than the module can send is noise: refuse it at once rather than
    // wait for bytes that would swallow the real reply behind it (issue 16).
    this.framer = new FingerprintFramer({
      address: this.address,
      maxContentLength: (pid) =>
        pid === Pid.Ack ? MAX_ACK_CONTENT_LENGTH : pid === Pid.Command ? MAX_COMMAND_CONTENT_LENGTH : (this._info?.packetSize ?? MAX_CONTENT_LENGTH),
    });
    this.framer.on('data', (packet: Packet) => this.onPacket(packet));
    this.framer.on('drop', (drop: FramerDrop) => this.onDrop(drop));
    this.transport.on('data', (chunk: Buffer) => this.framer.write(chunk));
    this.transport.on('close', (info: TransportCloseInfo) => this.onTransportClose(info));
  }

  get state(): ReaderState {
    return this._state;
  }

  /** The error behind the current `failed` state (or the last disconnect), for health checks. */
  get lastError(): FingerprintError | undefined {
    return this._lastError;
  }

  /** What the module reported at the last successful handshake. */
  get info(): ReaderInfo | undefined {
    return this._info;
  }

  get stats(): Readonly<ReaderCounters> {
    return { ...this.counters };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Start connecting (and keep reconnecting until {@link close}). Resolves when the reader is
   * first ready, rejects with the error if it reaches `failed` first. Call close() either way.
   */
  async open(): Promise<void> {
    if (this._state === 'closed') throw new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} is closed`);
    if (this._state === 'idle') {
      this.closingByUs = false;
      void this.connect();
    }
    await this.whenReady();
  }

  /** Resolves on the next `ready`; rejects on `failed` or `closed`. */
  whenReady(): Promise<void> {
    if (this._state === 'ready') return Promise.resolve();
    if (this._state === 'failed' && this._lastError) return Promise.reject(this._lastError);
    return new Promise<void>((resolve, reject) => {
      const onState = (change: ReaderStateChange) => {
        if (change.to === 'ready') {
          this.off('state', onState);
          resolve();
        } else if (change.to === 'failed' || change.to === 'closed') {
          this.off('state', onState);
          reject(change.error ?? new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} closed`));
        }
      };
      this.on('state', onState);
    });
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this.closingByUs = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.setState('closed');
    this.pending?.fail(new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} closed`));
    await this.transport.close();
    this.framer.reset();
  }

  /** Retry the connection now (e.g. after staff fixed a wrong password in config). */
  async reconnect(): Promise<void> {
    if (this._state === 'closed') throw new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} is closed`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.consecutiveFailures = 0;
    await this.transport.close();
    // Closing fired the disconnect path, which scheduled a delayed retry: connect now instead.
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.consecutiveFailures = 0;
    if (!this.handshaking) void this.connect();
    await this.whenReady();
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this._state === 'closed') return;
    if (this._state !== 'failed' || this.consecutiveFailures === 0) this.setState('connecting');
    this.handshaking = true;
    try {
      if (!this.transport.isOpen) await this.transport.open();
      if (this.isClosed()) {
        // close() ran while the port was opening and found nothing to close.
        await this.transport.close();
        return;
      }
    } catch (err) {
      this.handshaking = false;
      this.scheduleReconnect(
        new FingerprintError(FingerprintErrorCode.Disconnected, `cannot open ${this.name}: ${(err as Error).message}`, {
          reader: this.name,
        }),
      );
      return;
    }
    this.framer.reset();
    try {
      await this.enqueue(() => this.handshake());
      this.handshaking = false;
      if (this.isClosed()) return;
      this.consecutiveFailures = 0;
      this.setState('ready');
    } catch (err) {
      this.handshaking = false;
      if (this.isClosed()) return;
      const error = asFingerprintError(err, this.name);
      if (error.code === FingerprintErrorCode.WrongPassword || error.code === FingerprintErrorCode.IdentityMismatch) {
        // Retrying won't help; keep the port open so staff can confirm or fix config.
        this.consecutiveFailures = this.reconnectOptions.failAfterAttempts;
        this.setState('failed', error);
        return;
      }
      this.logger.warn(`fingerprint reader ${this.name}: handshake failed: ${error.message}`);
      this.handshaking = true; // our own close below must not schedule a second retry
      if (this.transport.isOpen) await this.transport.close();
      this.handshaking = false;
      this.scheduleReconnect(error);
    }
  }

  /** State can change to closed while we await; a method call keeps TS from narrowing it away. */
  private isClosed(): boolean {
    return this._state === 'closed';
  }

  private scheduleReconnect(error: FingerprintError): void {
    if (this._state === 'closed' || this.reconnectTimer) return;
    this.consecutiveFailures++;
    this._lastError = error;
    const { initialDelayMs, maxDelayMs, factor, failAfterAttempts } = this.reconnectOptions;
    if (this.consecutiveFailures >= failAfterAttempts) this.setState('failed', error);
    else this.setState('connecting', error);
    const base = Math.min(maxDelayMs, initialDelayMs * factor ** (this.consecutiveFailures - 1));
    // Jitter so a rack of readers behind one device server doesn't reconnect in lockstep.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.counters.reconnects++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private onTransportClose(info: TransportCloseInfo): void {
    const error = new FingerprintError(
      FingerprintErrorCode.Disconnected,
      `${this.name} ${info.disconnected ? 'disconnected' : 'closed'}${info.error ? `: ${info.error.message}` : ''}`,
      { reader: this.name },
    );
    this.pending?.fail(error);
    this.framer.reset();
    if (this.closingByUs || this._state === 'closed') return;
    if (this.handshaking) return; // the failed handshake schedules the retry
    this.logger.warn(`fingerprint reader ${this.name}: ${error.message}; reconnecting`);
    this.scheduleReconnect(error);
  }

  private setState(to: ReaderState, error?: FingerprintError): void {
    const from = this._state;
    if (error) this._lastError = error;
    if (from === to) return;
    this._state = to;
    const line = `fingerprint reader ${this.name}: state ${from} -> ${to}${error ? ` (${error.message})` : ''}`;
    if (to === 'failed') this.logger.error(line);
    else this.logger.log(line);
    this.emit('state', { from, to, error } satisfies ReaderStateChange);
  }

  // ---------------------------------------------------------------- handshake and identity

  private async handshake(): Promise<void> {
    const conf = await this.transact('VfyPwd', [u32(this.password)]);
    if (conf.confirmation === ConfirmationCode.WrongPassword) {
      throw new FingerprintError(
        FingerprintErrorCode.WrongPassword,
        `reader ${this.name}: module rejected the configured password (swapped module or wrong config)`,
        { command: 'VfyPwd', confirmation: conf.confirmation, reader: this.name },
      );
    }
    this.check('VfyPwd', conf);
    const sysPara = parseSystemParameters(this.result('ReadSysPara', await this.transact('ReadSysPara', [])));
    if (sysPara.address !== this.address) {
      throw new FingerprintError(
        FingerprintErrorCode.IdentityMismatch,
        `reader ${this.name}: module reports address ${hex32(sysPara.address)}, expected ${hex32(this.address)}`,
        { reader: this.name },
      );
    }
    let productInfo: ProductInfo | undefined;
    if (this.profile.opcodes.ReadProdInfo !== undefined) {
      productInfo = parseProductInfo(this.result('ReadProdInfo', await this.transact('ReadProdInfo', [])));
    }
    const templateSize = productInfo?.templateSize || this.templateSizeOverride || this.profile.fallbackTemplateSize;
    if (productInfo && this.templateSizeOverride && productInfo.templateSize !== this.templateSizeOverride) {
      this.logger.warn(
        `fingerprint reader ${this.name}: module reports template size ${productInfo.templateSize}, config says ${this.templateSizeOverride}; using the module's`,
      );
    }
    this._info = { systemParameters: sysPara, productInfo, templateSize, packetSize: sysPara.packetSize, capacity: sysPara.capacity };

    if (productInfo?.serialNumber && this.knownSerial && productInfo.serialNumber !== this.knownSerial) {
      throw this.identityMismatch(`serial number changed from ${this.knownSerial} to ${productInfo.serialNumber}`);
    }
    if (this.pairingCode) {
      const page = this.result('ReadNotepad', await this.transact('ReadNotepad', [this.pairingPage]));
      if (!page.equals(this.pairingCode)) {
        throw this.identityMismatch(`notepad page ${this.pairingPage} does not hold this reader's pairing code`);
      }
    }
    if (productInfo?.serialNumber) this.knownSerial = productInfo.serialNumber;
  }

  private identityMismatch(why: string): FingerprintError {
    return new FingerprintError(
      FingerprintErrorCode.IdentityMismatch,
      `reader ${this.name}: module identity check failed (${why}); refusing to use it until staff confirm the module`,
      { reader: this.name },
    );
  }

  /**
   * Staff confirmation that the module now on the port is legitimate (first install or a planned
   * replacement): writes the pairing code to the notepad, re-runs the handshake and goes ready.
   */
  async confirmModule(): Promise<void> {
    if (this._state === 'closed') throw new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} is closed`);
    await this.enqueue(async () => {
      this.knownSerial = undefined;
      if (this.pairingCode) {
        this.check('WriteNotepad', await this.transact('WriteNotepad', [this.pairingPage, this.pairingCode]));
      }
      await this.handshake();
    });
    this.consecutiveFailures = 0;
    this.setState('ready');
  }

  // ---------------------------------------------------------------- queue and wire

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Queue a user command; refused unless ready, so a door never waits on a reconnect. */
  private run<T>(job: () => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      if (this._state !== 'ready') {
        throw new FingerprintError(
          FingerprintErrorCode.NotReady,
          `reader ${this.name} is ${this._state}${this._lastError ? `: ${this._lastError.message}` : ''}`,
          { reader: this.name },
        );
      }
      return job();
    });
  }

  private deadline(command: CommandName, requestBytes: number, replyBytes: number): number {
    const base = this.timeouts[command] ?? COMMAND_SPECS[command].timeoutMs ?? this.commandTimeoutMs;
    // libosdp cp_calculate_transmit_time: the deadline must cover the bytes' time on the wire.
    const wireMs = ((requestBytes + replyBytes) * 10 * 1000) / this.baudRate;
    const backlog = this.unansweredWireMs;
    this.unansweredWireMs = 0;
    return Math.ceil(base + wireMs + backlog);
  }

  /** One command, one ACK, with the retry policy of the command. */
  private async transact(command: CommandName, params: CommandParam[]): Promise<Ack> {
    const attempts = COMMAND_SPECS[command].idempotent ? this.retries + 1 : 1;
    let reverified = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await this.transactOnce(command, params);
        // 0x21: the module forgot our VfyPwd (power blip behind a device server that kept the TCP
        // link, or a failed probe). It refused without executing, so re-verify and resend once,
        // whatever the command.
        if (ack.confirmation === ConfirmationCode.PasswordRequired && command !== 'VfyPwd' && !reverified) {
          reverified = true;
          this.logger.warn(`fingerprint reader ${this.name}: module asked for the password again; re-verifying`);
          const vfy = await this.transactOnce('VfyPwd', [u32(this.password)]);
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
        const error = asFingerprintError(err, this.name);
        const retryable = error.code === FingerprintErrorCode.Timeout || error.code === FingerprintErrorCode.Protocol;
        if (!retryable || attempt >= attempts) throw error;
        this.counters.retries++;
        this.logger.debug?.(`fingerprint reader ${this.name}: ${command} attempt ${attempt} failed (${error.message}); retrying`);
        this.framer.reset();
      }
    }
  }

  private transactOnce(command: CommandName, params: CommandParam[], onAck?: (ack: Ack) => 'done' | 'data'): Promise<Ack> {
    let content: Buffer;
    try {
      content = buildCommand(this.profile, command, ...params);
    } catch (err) {
      if (err instanceof UnsupportedCommandError) {
        return Promise.reject(new FingerprintError(FingerprintErrorCode.Unsupported, err.message, { command, reader: this.name }));
      }
      throw err;
    }
    const frame = encodePacket({ address: this.address, pid: Pid.Command, content });
    const replyBytes = FRAME_OVERHEAD + 1 + (REPLY_RESULT_LENGTH[command] ?? 0);
    const timeoutMs = this.deadline(command, frame.length, replyBytes);
    return this.exchange(command, frame, timeoutMs, onAck);
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
    if (wait > 0) await sleep(wait);
    // The module speaks only when spoken to, so nothing that arrived before this command can be
    // part of its reply: a partial frame held now (a reply cut short, then silence) would only
    // swallow the real answer until the deadline (issue 16).
    this.framer.discardPartial('stale before a new command');
    const expectedResult = command === 'UpChar' || command === 'UpImage' ? 0 : (REPLY_RESULT_LENGTH[command] ?? 0);
    return new Promise<Ack>((resolve, reject) => {
      let ack: Ack | undefined;
      let timer: NodeJS.Timeout;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.counters.timeouts++;
          this.quietUntil = Date.now() + this.settleMs;
          finish(
            new FingerprintError(
              FingerprintErrorCode.Timeout,
              ack
                ? `${command}: data transfer from ${this.name} stalled after ${ms} ms`
                : `${command}: no reply from ${this.name} at address ${hex32(this.address)} within ${ms} ms`,
              { command, reader: this.name },
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
              this.logger.debug?.(`fingerprint reader ${this.name}: ${command}: ignoring an ACK shaped for another command`);
              return;
            }
            ack = candidate;
            const next = onAck ? onAck(ack) : 'done';
            if (next === 'done') finish();
            else arm(DATA_PACKET_GAP_MS + this.wireMsFor(wireLength(this.packetSize)));
            return;
          }
          if (packet.pid !== Pid.Data && packet.pid !== Pid.EndData) {
            finish(new FingerprintError(FingerprintErrorCode.Protocol, `${command}: expected a data packet, got PID ${packet.pid}`, { command }));
            return;
          }
          try {
            if (onData!(packet) === 'done') finish();
            else arm(DATA_PACKET_GAP_MS + this.wireMsFor(wireLength(this.packetSize)));
          } catch (err) {
            finish(asFingerprintError(err, this.name));
          }
        },
      };
      this.pending = pending;
      arm(timeoutMs);
      this.transport
        .write(frame)
        .catch((err: Error) =>
          finish(
            new FingerprintError(FingerprintErrorCode.Disconnected, `${command}: write to ${this.name} failed: ${err.message}`, { command, reader: this.name }),
          ),
        );
    });
  }

  private wireMsFor(bytes: number): number {
    return (bytes * 10 * 1000) / this.baudRate;
  }

  private get packetSize(): number {
    return this._info?.packetSize ?? 128;
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
    this.quietUntil = Math.max(this.quietUntil, Date.now() + this.settleMs);
    this.logger.debug?.(`fingerprint reader ${this.name}: unsolicited packet PID ${packet.pid} dropped`);
  }

  private onDrop(drop: FramerDrop): void {
    if (drop.kind === 'malformed') this.counters.malformed++;
    else if (drop.kind === 'bad-checksum') this.counters.badChecksum++;
    else this.counters.notForUs++;
    this.emit('drop', drop);
  }

  private check(command: CommandName, ack: Ack): void {
    if (ack.confirmation !== ConfirmationCode.Ok) throw FingerprintError.confirmation(command, ack.confirmation, this.name);
  }

  /** Confirmation must be OK and the result as long as the datasheet says. */
  private result(command: CommandName, ack: Ack): Buffer {
    this.check(command, ack);
    const expected = REPLY_RESULT_LENGTH[command] ?? 0;
    if (ack.result.length < expected) {
      throw new FingerprintError(FingerprintErrorCode.Protocol, `${command}: reply carries ${ack.result.length} result bytes, expected ${expected}`, {
        command,
        reader: this.name,
      });
    }
    return ack.result.subarray(0, expected);
  }

  private async simple(command: CommandName, ...params: CommandParam[]): Promise<Buffer> {
    return this.run(async () => this.result(command, await this.transact(command, params)));
  }

  private requireInfo(): ReaderInfo {
    if (!this._info) throw new FingerprintError(FingerprintErrorCode.NotReady, `reader ${this.name} has not completed a handshake`);
    return this._info;
  }

  private checkBuffer(bufferId: number): void {
    if (!Number.isInteger(bufferId) || bufferId < 1 || bufferId > this.profile.charBuffers) {
      throw new FingerprintError(
        FingerprintErrorCode.InvalidArgument,
        `character buffer ${bufferId} does not exist on ${this.profile.name} (1..${this.profile.charBuffers})`,
      );
    }
  }

  private checkSlot(pageId: number): void {
    const capacity = this._info?.capacity ?? 0xffff;
    if (!Number.isInteger(pageId) || pageId < 0 || pageId >= capacity) {
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `template slot ${pageId} outside 0..${capacity - 1}`);
    }
  }

  // ---------------------------------------------------------------- commands (docs/r503-protocol.md §Instruction set)

  /** 0x13 VfyPwd. Returns false for a wrong password instead of throwing. */
  async verifyPassword(password = this.password): Promise<boolean> {
    return this.run(async () => {
      const ack = await this.transact('VfyPwd', [u32(password)]);
      if (ack.confirmation === ConfirmationCode.WrongPassword) {
        // A failed probe un-verifies the session on modules with a password: restore it.
        if (password !== this.password) this.check('VfyPwd', await this.transact('VfyPwd', [u32(this.password)]));
        return false;
      }
      this.check('VfyPwd', ack);
      return true;
    });
  }

  /** 0x0F ReadSysPara (docs/r503-protocol.md §System parameters). */
  async readSystemParameters(): Promise<SystemParameters> {
    return parseSystemParameters(await this.simple('ReadSysPara'));
  }

  /** 0x3C ReadProdInfo (R503). */
  async readProductInfo(): Promise<ProductInfo> {
    return parseProductInfo(await this.simple('ReadProdInfo'));
  }

  /** 0x1D TempleteNum: number of stored templates. */
  async templateCount(): Promise<number> {
    return (await this.simple('TemplateNum')).readUInt16BE(0);
  }

  /** 0x1F ReadIndexTable: occupied slots on one index page (256 slots per page). */
  async readIndexTable(page: number): Promise<number[]> {
    if (!Number.isInteger(page) || page < 0 || page > 3) throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `index page ${page} outside 0..3`);
    return parseIndexTable(page, await this.simple('ReadIndexTable', page));
  }

  /** Every occupied slot, reading as many index pages as the capacity needs. */
  async listTemplateIds(): Promise<number[]> {
    const { capacity } = this.requireInfo();
    const ids: number[] = [];
    for (let page = 0; page * 256 < capacity && page < 4; page++) ids.push(...(await this.readIndexTable(page)));
    return ids.filter((id) => id < capacity);
  }

  /** 0x01 GenImg. True when an image was captured, false when no finger is on the sensor. */
  async captureImage(): Promise<boolean> {
    return this.imageCommand('GenImg');
  }

  /** 0x28 GetImageEx (R50x): like GenImg but refuses poor-quality images with 0x07. */
  async captureImageEx(): Promise<boolean> {
    return this.imageCommand('GetImageEx');
  }

  private async imageCommand(command: 'GenImg' | 'GetImageEx'): Promise<boolean> {
    return this.run(async () => {
      const ack = await this.transact(command, []);
      if (ack.confirmation === ConfirmationCode.NoFinger) return false;
      this.check(command, ack);
      return true;
    });
  }

  /** 0x02 Img2Tz / GenChar: features of the captured image into a character buffer. */
  async imageToTemplate(bufferId: number): Promise<void> {
    this.checkBuffer(bufferId);
    await this.simple('Img2Tz', bufferId);
  }

  /** 0x05 RegModel: merge the character buffers into one template (in buffers 1 and 2). */
  async createModel(): Promise<void> {
    await this.simple('RegModel');
  }

  /** 0x03 Match buffer 1 against buffer 2. */
  async match(): Promise<{ matched: boolean; score: number }> {
    return this.run(async () => {
      const ack = await this.transact('Match', []);
      if (ack.confirmation === ConfirmationCode.NoMatch) return { matched: false, score: 0 };
      return { matched: true, score: this.result('Match', ack).readUInt16BE(0) };
    });
  }

  /** 0x04 Search (or 0x1B HiSpeedSearch): null when nothing in the range matches. */
  async search(bufferId = 1, startPage = 0, pageCount?: number, options: { highSpeed?: boolean } = {}): Promise<SearchMatch | null> {
    this.checkBuffer(bufferId);
    const count = pageCount ?? this.requireInfo().capacity;
    const command: CommandName = options.highSpeed ? 'HiSpeedSearch' : 'Search';
    return this.run(async () => {
      const ack = await this.transact(command, [bufferId, u16(startPage), u16(count)]);
      if (ack.confirmation === ConfirmationCode.NotFound) return null;
      const r = this.result(command, ack);
      return { pageId: r.readUInt16BE(0), score: r.readUInt16BE(2) };
    });
  }

  /** 0x06 Store a character buffer into a library slot. */
  async store(bufferId: number, pageId: number): Promise<void> {
    this.checkBuffer(bufferId);
    this.checkSlot(pageId);
    await this.simple('Store', bufferId, u16(pageId));
  }

  /** 0x07 LoadChar: a library slot into a character buffer. */
  async loadTemplate(bufferId: number, pageId: number): Promise<void> {
    this.checkBuffer(bufferId);
    this.checkSlot(pageId);
    await this.simple('LoadChar', bufferId, u16(pageId));
  }

  /** 0x0C DeletChar: delete `count` templates starting at `pageId`. */
  async deleteTemplates(pageId: number, count = 1): Promise<void> {
    this.checkSlot(pageId);
    await this.simple('DeletChar', u16(pageId), u16(count));
  }

  /** 0x0D Empty: wipe the whole library. */
  async emptyLibrary(): Promise<void> {
    await this.simple('Empty');
  }

  /** 0x0E SetSysPara. Takes effect after the reply; the handshake re-reads the parameters. */
  async setSystemParameter(register: SysParaRegister, value: number): Promise<void> {
    if (register === SysParaRegister.BaudRate) {
      // The module switches speed right after its reply; the port would have to follow mid-session.
      throw new FingerprintError(
        FingerprintErrorCode.InvalidArgument,
        'changing the module baud rate at runtime is not supported: set it once with a commissioning tool and configure baudRate',
      );
    }
    await this.run(async () => {
      this.check('SetSysPara', await this.transact('SetSysPara', [register, value]));
      if (register === SysParaRegister.PacketSize || register === SysParaRegister.SecurityLevel) {
        const sysPara = parseSystemParameters(this.result('ReadSysPara', await this.transact('ReadSysPara', [])));
        if (this._info) this._info = { ...this._info, systemParameters: sysPara, packetSize: sysPara.packetSize };
      }
    });
  }

  /** 0x12 SetPwd. The new password is used from now on (and on every reconnect). */
  async setPassword(password: number): Promise<void> {
    await this.run(async () => {
      this.check('SetPwd', await this.transact('SetPwd', [u32(password)]));
      this.password = password >>> 0;
    });
  }

  /** 0x14 GetRandomCode: 32 bits from the module's RNG. */
  async getRandomCode(): Promise<number> {
    return (await this.simple('GetRandomCode')).readUInt32BE(0);
  }

  /** 0x18 WriteNotepad: 32 bytes to page 0..15 (flash). */
  async writeNotepad(page: number, data: Buffer | string): Promise<void> {
    if (!Number.isInteger(page) || page < 0 || page >= NOTEPAD_PAGES)
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `notepad page ${page} outside 0..15`);
    await this.simple('WriteNotepad', page, toNotepadPage(data));
  }

  /** 0x19 ReadNotepad: 32 bytes from page 0..15. */
  async readNotepad(page: number): Promise<Buffer> {
    if (!Number.isInteger(page) || page < 0 || page >= NOTEPAD_PAGES)
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `notepad page ${page} outside 0..15`);
    return Buffer.from(await this.simple('ReadNotepad', page));
  }

  /** 0x35 AuraLedConfig (R503 LED ring). */
  async auraLed(control: AuraControl, colour: AuraColour = AuraColour.Blue, speed = 0x80, count = 0): Promise<void> {
    await this.simple('AuraLedConfig', control, speed, colour, count);
  }

  /** 0x36 CheckSensor (R503). */
  async checkSensor(): Promise<void> {
    await this.simple('CheckSensor');
  }

  /** HandShake: 0x40 on R503, 0x35 on ZW-series (the model map picks). */
  async handShake(): Promise<void> {
    await this.simple('HandShake');
  }

  /**
   * 0x08 UpChar: read a character buffer as a template. The module streams ⌈size/P⌉ data packets
   * after its ACK without per-packet ACKs (docs/r503-protocol.md §Data packets and template size);
   * P and the size come from the handshake (ReadSysPara word 6, ReadProdInfo), never from
   * assumptions.
   */
  async uploadTemplate(bufferId = 1): Promise<Buffer> {
    this.checkBuffer(bufferId);
    const { templateSize, packetSize } = this.requireInfo();
    return this.run(async () => {
      const attempts = COMMAND_SPECS.UpChar.idempotent ? this.retries + 1 : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.upCharOnce(bufferId, templateSize, packetSize);
        } catch (err) {
          const error = asFingerprintError(err, this.name);
          if (error.code !== FingerprintErrorCode.Timeout || attempt >= attempts) throw error;
          this.counters.retries++;
          // The module may still be streaming the abandoned transfer: let it drain first, or its
          // tail would be counted into the retry.
          this.quietUntil = Math.max(
            this.quietUntil,
            Date.now() + this.wireMsFor(Math.ceil(templateSize / packetSize) * wireLength(packetSize)) + this.settleMs,
          );
        }
      }
    });
  }

  private async upCharOnce(bufferId: number, templateSize: number, packetSize: number): Promise<Buffer> {
    const frame = encodePacket({ address: this.address, pid: Pid.Command, content: buildCommand(this.profile, 'UpChar', bufferId) });
    const chunks: Buffer[] = [];
    let received = 0;
    const ack = await this.exchange(
      'UpChar',
      frame,
      this.deadline('UpChar', frame.length, FRAME_OVERHEAD + 1),
      (a) => (a.confirmation === ConfirmationCode.Ok ? 'data' : 'done'),
      (packet) => {
        if (packet.content.length > packetSize) {
          throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: data packet of ${packet.content.length} bytes exceeds packet size ${packetSize}`);
        }
        received += packet.content.length;
        if (received > templateSize) {
          throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: module sent more than the ${templateSize}-byte template`);
        }
        chunks.push(packet.content);
        return packet.pid === Pid.EndData ? 'done' : 'more';
      },
    );
    this.check('UpChar', ack);
    if (received !== templateSize) {
      throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: module sent ${received} bytes, expected a ${templateSize}-byte template`, {
        command: 'UpChar',
        reader: this.name,
      });
    }
    return Buffer.concat(chunks);
  }

  /**
   * 0x09 DownChar: send a template into a character buffer. After ACK 00 the host streams the data
   * packets; the module answers none of them (docs/r503-protocol.md §Data packets and template
   * size), so the wire time is added to the next command's deadline instead.
   */
  async downloadTemplate(bufferId: number, template: Buffer): Promise<void> {
    this.checkBuffer(bufferId);
    const { templateSize, packetSize } = this.requireInfo();
    if (template.length !== templateSize) {
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `template is ${template.length} bytes, module ${this.name} takes ${templateSize}`);
    }
    await this.run(async () => {
      this.check('DownChar', await this.transact('DownChar', [bufferId]));
      const data = Buffer.concat(encodeDataPackets(this.address, template, packetSize));
      this.unansweredWireMs += this.wireMsFor(data.length);
      await this.transport.write(data).catch((err: Error) => {
        throw new FingerprintError(FingerprintErrorCode.Disconnected, `DownChar: write to ${this.name} failed: ${err.message}`);
      });
    });
  }

  // ---------------------------------------------------------------- flows (docs/r503-protocol.md §Flows)

  /** Poll GenImg until a finger is captured, then extract features into `bufferId`. */
  async captureFinger(bufferId = 1, options: { timeoutMs?: number; pollIntervalMs?: number; poorImageCheck?: boolean } = {}): Promise<void> {
    const { timeoutMs = 10_000, pollIntervalMs = 100 } = options;
    const useEx = options.poorImageCheck !== false && this.profile.opcodes.GetImageEx !== undefined;
    const deadline = this.clock.nowMs() + timeoutMs;
    for (;;) {
      if (await (useEx ? this.captureImageEx() : this.captureImage())) break;
      if (this.clock.nowMs() >= deadline) {
        throw new FingerprintError(FingerprintErrorCode.Timeout, `no finger placed on ${this.name} within ${timeoutMs} ms`);
      }
      await sleep(pollIntervalMs);
    }
    await this.imageToTemplate(bufferId);
  }

  /** Wait until GenImg reports no finger (between enrollment captures). */
  async waitForFingerLift(options: { timeoutMs?: number; pollIntervalMs?: number } = {}): Promise<void> {
    const { timeoutMs = 10_000, pollIntervalMs = 100 } = options;
    const deadline = this.clock.nowMs() + timeoutMs;
    while (await this.captureImage()) {
      if (this.clock.nowMs() >= deadline)
        throw new FingerprintError(FingerprintErrorCode.Timeout, `finger not lifted from ${this.name} within ${timeoutMs} ms`);
      await sleep(pollIntervalMs);
    }
  }

  /** First free slot from ReadIndexTable; throws LIBRARY_FULL when there is none. */
  async findFreeSlot(): Promise<number> {
    const { capacity } = this.requireInfo();
    const used = new Set(await this.listTemplateIds());
    for (let id = 0; id < capacity; id++) if (!used.has(id)) return id;
    throw new FingerprintError(FingerprintErrorCode.LibraryFull, `fingerprint library on ${this.name} is full (${capacity} templates)`, {
      reader: this.name,
      confirmation: ConfirmationCode.LibraryFull,
    });
  }

  /** Store a character buffer in the first free slot; returns the slot. */
  async storeInFreeSlot(bufferId = 1): Promise<number> {
    const slot = await this.findFreeSlot();
    await this.store(bufferId, slot);
    return slot;
  }

  /** 1:N identification: capture, then Search over the whole library (docs/r503-protocol.md §Flows). */
  async identify(options: { timeoutMs?: number; pollIntervalMs?: number } = {}): Promise<SearchMatch | null> {
    await this.captureFinger(1, options);
    return this.search(1);
  }

  /**
   * Classic two-capture enrollment (docs/r503-protocol.md §Flows): capture, lift, capture,
   * RegModel, duplicate check, store. Returns the template (UpChar) so the server can hold its own
   * copy.
   */
  async enroll(
    options: { slot?: number; timeoutMs?: number; pollIntervalMs?: number; allowDuplicate?: boolean } = {},
  ): Promise<{ slot: number; template: Buffer }> {
    await this.captureFinger(1, options);
    await this.waitForFingerLift(options);
    await this.captureFinger(2, options);
    await this.createModel();
    if (!options.allowDuplicate) {
      const existing = await this.search(1);
      if (existing) {
        throw FingerprintError.confirmation('enroll', ConfirmationCode.AlreadyExists, this.name);
      }
    }
    const slot = options.slot ?? (await this.findFreeSlot());
    await this.store(1, slot);
    const template = await this.uploadTemplate(1);
    return { slot, template };
  }
}

function toNotepadPage(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > NOTEPAD_PAGE_SIZE) throw new TypeError(`notepad data is ${bytes.length} bytes, a page holds ${NOTEPAD_PAGE_SIZE}`);
  const page = Buffer.alloc(NOTEPAD_PAGE_SIZE);
  bytes.copy(page);
  return page;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;
}

function asFingerprintError(err: unknown, reader: string): FingerprintError {
  if (err instanceof FingerprintError) return err;
  return new FingerprintError(FingerprintErrorCode.Protocol, `reader ${reader}: ${(err as Error)?.message ?? String(err)}`, { reader });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
