import { EventEmitter } from 'node:events';
import { SystemClock, type Clock } from '@acs/clock';
import { ConfirmationCode } from '../confirmation-code.js';
import { DEFAULT_ADDRESS, DEFAULT_PASSWORD, u32 } from '../fingerprint.codec.js';
import { parseProductInfo, parseSystemParameters, type CommandParam, type ProductInfo } from '../fingerprint.commands.js';
import { FingerprintError, FingerprintErrorCode } from '../fingerprint.errors.js';
import type { FramerDrop } from '../fingerprint.framer.js';
import { resolveModel, type CommandName, type ModelProfile } from '../model-profile.js';
import type { FingerprintTransport, TransportCloseInfo } from '../transport.js';
import { createTransport } from '../transports/transport.factory.js';
import { ackResult, asFingerprintError, checkAck, ReaderLink, type Ack } from './reader-link.js';
import {
  hex32,
  SILENT_LOGGER,
  type FingerprintLogger,
  type FingerprintReaderOptions,
  type ReaderCounters,
  type ReaderInfo,
  type ReaderState,
  type ReaderStateChange,
  type ReconnectOptions,
} from './reader.types.js';

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_RETRIES = 2;
export const NOTEPAD_PAGE_SIZE = 32;
export const NOTEPAD_PAGES = 16;

/**
 * The connection half of the link layer: the state machine (connect, reconnect with backoff,
 * failed, closed), the handshake and identity check on every connect, and the gate that refuses
 * user commands unless the reader is ready. Bytes and deadlines are {@link ReaderLink}'s.
 */
export abstract class ReaderConnection extends EventEmitter {
  readonly name: string;
  readonly profile: ModelProfile;
  protected readonly link: ReaderLink;
  protected readonly clock: Clock;
  protected readonly address: number;
  protected password: number;
  private readonly transport: FingerprintTransport;
  private readonly reconnectOptions: Required<ReconnectOptions>;
  private readonly logger: FingerprintLogger;
  private readonly pairingCode?: Buffer;
  private readonly pairingPage: number;
  private readonly templateSizeOverride?: number;

  private _state: ReaderState = 'idle';
  private _lastError?: FingerprintError;
  private _info?: ReaderInfo;
  private knownSerial?: string;
  private handshaking = false;
  private closingByUs = false;
  private reconnectTimer?: NodeJS.Timeout;
  private consecutiveFailures = 0;

  constructor(options: FingerprintReaderOptions) {
    super();
    this.profile = resolveModel(options.model);
    const baudRate = options.baudRate ?? 57600;
    if (options.transport) {
      this.transport = options.transport;
    } else if (options.path) {
      this.transport = createTransport(options.path, { baudRate, binding: options.binding });
    } else {
      throw new TypeError('FingerprintReader needs "path" or "transport"');
    }
    this.name = options.name ?? this.transport.description;
    this.address = (options.address ?? DEFAULT_ADDRESS) >>> 0;
    this.password = (options.password ?? DEFAULT_PASSWORD) >>> 0;
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
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

    this.link = new ReaderLink({
      transport: this.transport,
      name: this.name,
      address: this.address,
      profile: this.profile,
      baudRate,
      retries: options.retries ?? DEFAULT_RETRIES,
      commandTimeoutMs,
      timeouts: options.timeouts ?? {},
      settleMs: options.settleMs ?? Math.min(commandTimeoutMs, 200),
      logger: this.logger,
      password: () => this.password,
      packetSize: () => this._info?.packetSize,
      onDrop: (drop: FramerDrop) => this.emit('drop', drop),
    });
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
    return { ...this.link.counters };
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
    this.link.abort(new FingerprintError(FingerprintErrorCode.Closed, `reader ${this.name} closed`));
    await this.transport.close();
    this.link.resetFramer();
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
    this.link.resetFramer();
    try {
      await this.link.enqueue(() => this.handshake());
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
    this.link.counters.reconnects++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private onTransportClose(info: TransportCloseInfo): void {
    const error = new FingerprintError(
      FingerprintErrorCode.Disconnected,
      `${this.name} ${info.disconnected ? 'disconnected' : 'closed'}${info.error ? `: ${info.error.message}` : ''}`,
      { reader: this.name },
    );
    this.link.abort(error);
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
    const conf = await this.link.transact('VfyPwd', [u32(this.password)]);
    if (conf.confirmation === ConfirmationCode.WrongPassword) {
      throw new FingerprintError(
        FingerprintErrorCode.WrongPassword,
        `reader ${this.name}: module rejected the configured password (swapped module or wrong config)`,
        { command: 'VfyPwd', confirmation: conf.confirmation, reader: this.name },
      );
    }
    this.check('VfyPwd', conf);
    const sysPara = parseSystemParameters(this.result('ReadSysPara', await this.link.transact('ReadSysPara', [])));
    if (sysPara.address !== this.address) {
      throw new FingerprintError(
        FingerprintErrorCode.IdentityMismatch,
        `reader ${this.name}: module reports address ${hex32(sysPara.address)}, expected ${hex32(this.address)}`,
        { reader: this.name },
      );
    }
    let productInfo: ProductInfo | undefined;
    if (this.profile.opcodes.ReadProdInfo !== undefined) {
      productInfo = parseProductInfo(this.result('ReadProdInfo', await this.link.transact('ReadProdInfo', [])));
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
      const page = this.result('ReadNotepad', await this.link.transact('ReadNotepad', [this.pairingPage]));
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
    await this.link.enqueue(async () => {
      this.knownSerial = undefined;
      if (this.pairingCode) {
        this.check('WriteNotepad', await this.link.transact('WriteNotepad', [this.pairingPage, this.pairingCode]));
      }
      await this.handshake();
    });
    this.consecutiveFailures = 0;
    this.setState('ready');
  }

  // ---------------------------------------------------------------- helpers for the command layer

  /** Queue a user command; refused unless ready, so a door never waits on a reconnect. */
  protected run<T>(job: () => Promise<T>): Promise<T> {
    return this.link.enqueue(async () => {
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

  /** A command whose only outcome besides an error is its result bytes. */
  protected async simple(command: CommandName, ...params: CommandParam[]): Promise<Buffer> {
    return this.run(async () => this.result(command, await this.link.transact(command, params)));
  }

  protected check(command: CommandName, ack: Ack): void {
    checkAck(command, ack, this.name);
  }

  protected result(command: CommandName, ack: Ack): Buffer {
    return ackResult(command, ack, this.name);
  }

  protected requireInfo(): ReaderInfo {
    if (!this._info) throw new FingerprintError(FingerprintErrorCode.NotReady, `reader ${this.name} has not completed a handshake`);
    return this._info;
  }

  /** After SetSysPara re-read the parameters the handshake took from the module. */
  protected updateInfo(change: Partial<ReaderInfo>): void {
    if (this._info) this._info = { ...this._info, ...change };
  }
}

export function toNotepadPage(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > NOTEPAD_PAGE_SIZE) throw new TypeError(`notepad data is ${bytes.length} bytes, a page holds ${NOTEPAD_PAGE_SIZE}`);
  const page = Buffer.alloc(NOTEPAD_PAGE_SIZE);
  bytes.copy(page);
  return page;
}
