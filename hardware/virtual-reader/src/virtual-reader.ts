import { EventEmitter } from 'node:events';
import { seededRandom, SystemClock, type Clock } from '@acs/clock';
import {
  ConfirmationCode,
  encodeDataPackets,
  encodeIndexTable,
  encodePacket,
  encodeProductInfo,
  encodeSystemParameters,
  FingerprintFramer,
  MAX_COMMAND_CONTENT_LENGTH,
  PACKET_SIZES,
  Pid,
  READY_BYTE,
  type FramerDrop,
  type Packet,
} from '@acs/fingerprint';
import { captureFeatures, featuresToTemplate, fingerFeatures, matchScore, matchThreshold, mergeFeatures, templateFeatures } from './finger.model.js';
import { FlashStore, type FlashImage } from './flash.store.js';
import { moduleTimeMs, type CommandWork, type ModuleTiming } from './module-timing.js';
import { WirePacer } from './wire-pacer.js';

export type SensorMode = 'normal' | 'poor' | 'nofinger';

/**
 * Silence after which the module drops a frame it has only partly received. The datasheets give
 * no figure; see docs/fingerprint-serial-framing.md for why 100 ms.
 */
export const DEFAULT_INTER_BYTE_TIMEOUT_MS = 100;

export interface VirtualReaderOptions {
  /** JSON file standing in for the module's flash; RAM only when absent. */
  flashPath?: string;
  /** Library capacity (ReadSysPara word 2). R503: 200 (docs/r503-protocol.md §System parameters). */
  capacity?: number;
  /** Template size in bytes, reported by ReadProdInfo. R503: 1536 (docs/r503-protocol.md §Data packets and template size). */
  templateSize?: number;
  /** Initial values for a fresh flash (ignored when the flash file already has them). */
  address?: number;
  password?: number;
  /** Packet size in bytes: 32/64/128/256. */
  packetSize?: number;
  /** Emulate wire speed at the module's baud rate (9600 × N from SetSysPara/flash). */
  pace?: boolean;
  /**
   * Emulate the module's own processing time per command (image capture, feature extraction,
   * search as a function of the library size), e.g. {@link R503_TIMING}. Off by default, so tests
   * run at memory speed; replies then leave as soon as the command is parsed.
   */
  timing?: ModuleTiming;
  /** Seed for capture noise and GetRandomCode, for reproducible runs. */
  seed?: number;
  /** ReadProdInfo serial number: tells one module from another (swapped module tests). */
  serialNumber?: string;
  /** Character buffers (R503: 6, ZFM: 2). */
  charBuffers?: number;
  /** Send the R503 0x55 ready byte when a host attaches (docs/r503-protocol.md §Link and defaults). */
  readyByte?: boolean;
  /** UpImage geometry: R503 192×192, ZFM 256×288 (docs/r503-protocol.md §Images) (pyfingerprint assumes ZFM). */
  imageWidth?: number;
  imageHeight?: number;
  /**
   * Drop a partly received frame after this much silence on the line, as a UART module does.
   * Default {@link DEFAULT_INTER_BYTE_TIMEOUT_MS}; 0 never drops (a module that waits forever
   * for the bytes a header promised, for tests of the host side).
   */
  interByteTimeoutMs?: number;
  /**
   * Longest command content the module waits for; a command header declaring more is refused at
   * once. Default {@link MAX_COMMAND_CONTENT_LENGTH} (WriteNotepad). Data packets are bounded by
   * the packet size instead.
   */
  maxCommandContentLength?: number;
  /** Time source for the inter-byte gap. */
  clock?: Clock;
}

interface CharBuffer {
  template: Buffer;
  finger?: string;
  /** RegModel round in which Img2Tz filled this buffer; undefined for DownChar/LoadChar. */
  captureRound?: number;
}

interface Receiving {
  bufferId: number;
  chunks: Buffer[];
}

/** Everything a test or an operator may want to see, without template bytes. */
export interface VirtualReaderStatus {
  address: number;
  passwordSet: boolean;
  passwordVerified: boolean;
  capacity: number;
  templateCount: number;
  templateSize: number;
  packetSize: number;
  baudRate: number;
  securityLevel: number;
  mode: SensorMode;
  finger: string | null;
  led: { control: number; speed: number; colour: number; count: number } | null;
  /** Silence after which a partly received frame is dropped; 0 = never. */
  interByteTimeoutMs: number;
}

/**
 * An R503-class module at the byte level. Bytes from the host go in through {@link receive}; bytes
 * for the host come out as `output` events. Attachments (MockBinding, TCP, a serial device) only
 * move bytes; all protocol behaviour lives here and follows docs/r503-protocol.md and
 * docs/fingerprint-serial-framing.md.
 */
export class VirtualReader extends EventEmitter {
  readonly capacity: number;
  readonly templateSize: number;
  readonly serialNumber: string;
  readonly charBufferCount: number;
  private readonly flash: FlashStore;
  private image: FlashImage;
  private readonly framer: FingerprintFramer;
  private readonly pacer: WirePacer;
  private readonly clock: Clock;
  private readonly interByteTimeoutMs: number;
  private readonly maxCommandContentLength: number;
  /** When the last received byte finished arriving (clock ms); the inter-byte gap counts from here. */
  private lastRxEndMs = Number.NEGATIVE_INFINITY;
  private readonly rnd: () => number;
  private readonly paceEnabled: boolean;
  private readonly sendReadyByte: boolean;
  private readonly imagePixels: number;
  private readonly timing?: ModuleTiming;
  /** When the command being executed was parsed (performance.now()), and the module time it costs. */
  private commandAt = 0;
  private workMs = 0;
  private rxBytes = 0;
  private txBytes = 0;

  private finger: string | null = null;
  private mode: SensorMode = 'normal';
  private imageBuffer: { features: Buffer; poor: boolean; finger: string } | null = null;
  private charBuffers: Array<CharBuffer | null>;
  private verified = false;
  private receiving: Receiving | null = null;
  /** Bumped by every RegModel: extra R503 buffers (3..6) only count for the round they were captured in. */
  private regRound = 0;
  private led: VirtualReaderStatus['led'] = null;
  /** Test hook: stop answering (module hung / wrong wiring). */
  silent = false;
  /** Test hook: drop this many of the next replies. */
  dropReplies = 0;
  /** Test hook: send the next reply this late (a slow module whose answer misses the deadline). */
  delayNextReplyMs = 0;
  private readonly commandLog: number[] = [];

  constructor(options: VirtualReaderOptions = {}) {
    super();
    this.capacity = options.capacity ?? 200;
    this.templateSize = options.templateSize ?? 1536;
    if (this.templateSize < 256 || this.templateSize > 0xffff) throw new RangeError('templateSize must be 256..65535');
    this.serialNumber = options.serialNumber ?? 'VR000001';
    this.charBufferCount = options.charBuffers ?? 6;
    this.flash = new FlashStore(options.flashPath);
    this.image = this.flash.load();
    const fresh = this.image.templates.size === 0 && this.image.address === 0xffffffff && this.image.password === 0;
    if (fresh) {
      if (options.address !== undefined) this.image.address = options.address >>> 0;
      if (options.password !== undefined) this.image.password = options.password >>> 0;
      if (options.packetSize !== undefined) {
        const code = PACKET_SIZES.indexOf(options.packetSize as (typeof PACKET_SIZES)[number]);
        if (code < 0) throw new RangeError(`packetSize must be one of ${PACKET_SIZES.join('/')}`);
        this.image.packetSizeCode = code;
      }
    }
    this.charBuffers = Array.from({ length: this.charBufferCount + 1 }, () => null);
    this.rnd = seededRandom(options.seed ?? 0x5eed);
    this.paceEnabled = options.pace ?? false;
    this.sendReadyByte = options.readyByte ?? false;
    this.imagePixels = (options.imageWidth ?? 192) * (options.imageHeight ?? 192);
    this.pacer = new WirePacer(this.paceEnabled ? this.baudRate : undefined);
    this.timing = options.timing;
    this.clock = options.clock ?? new SystemClock();
    this.interByteTimeoutMs = options.interByteTimeoutMs ?? DEFAULT_INTER_BYTE_TIMEOUT_MS;
    if (!(this.interByteTimeoutMs >= 0)) throw new RangeError('interByteTimeoutMs must be 0 or more');
    this.maxCommandContentLength = options.maxCommandContentLength ?? MAX_COMMAND_CONTENT_LENGTH;
    if (!Number.isInteger(this.maxCommandContentLength) || this.maxCommandContentLength < 1 || this.maxCommandContentLength > 256) {
      throw new RangeError('maxCommandContentLength must be 1..256');
    }
    // A real module's receive buffer holds one command or one data packet of the configured
    // packet size; a header promising more is noise and is refused before any byte is awaited.
    this.framer = new FingerprintFramer({
      maxContentLength: (pid) => (pid === Pid.Data || pid === Pid.EndData ? this.packetSize : this.maxCommandContentLength),
    });
    this.framer.on('data', (packet: Packet) => this.onPacket(packet));
    this.framer.on('drop', (drop: FramerDrop) => this.emit('drop', drop));
  }

  get baudRate(): number {
    return 9600 * this.image.baudN;
  }

  get packetSize(): number {
    return PACKET_SIZES[this.image.packetSizeCode];
  }

  get address(): number {
    return this.image.address;
  }

  /** Bytes of a partly received frame the module is holding (bounded by its longest frame). */
  get pendingRxBytes(): number {
    return this.framer.pending;
  }

  /** Bytes that crossed the line each way since creation: what the host's traffic costs the line. */
  lineBytes(): { received: number; sent: number } {
    return { received: this.rxBytes, sent: this.txBytes };
  }

  /** Opcodes received, in order (for tests checking what went on the wire). */
  get commands(): readonly number[] {
    return this.commandLog;
  }

  // ---------------------------------------------------------------- control interface

  place(finger: string): void {
    if (!finger.trim()) throw new TypeError('a finger needs a name');
    this.finger = finger.trim();
  }

  lift(): void {
    this.finger = null;
  }

  setMode(mode: SensorMode): void {
    this.mode = mode;
  }

  status(): VirtualReaderStatus {
    return {
      address: this.image.address,
      passwordSet: this.image.password !== 0,
      passwordVerified: this.verified,
      capacity: this.capacity,
      templateCount: this.image.templates.size,
      templateSize: this.templateSize,
      packetSize: this.packetSize,
      baudRate: this.baudRate,
      securityLevel: this.image.securityLevel,
      mode: this.mode,
      finger: this.finger,
      led: this.led,
      interByteTimeoutMs: this.interByteTimeoutMs,
    };
  }

  /** Slot → finger name ("external" for templates that came in over DownChar). */
  library(): Array<{ slot: number; finger: string }> {
    return [...this.image.templates.entries()].sort(([a], [b]) => a - b).map(([slot, t]) => ({ slot, finger: t.finger ?? 'external' }));
  }

  /**
   * Put `finger`'s template in `slot` as a finished enrolment would have left it, without the
   * commands: for benchmarks and tests that need a full library (200 R503 enrolments over the
   * wire would take minutes). Persisted like a Store.
   */
  storeTemplate(slot: number, finger: string): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) throw new RangeError(`slot must be 0..${this.capacity - 1}`);
    this.image.templates.set(slot, { template: featuresToTemplate(fingerFeatures(finger), this.templateSize), finger });
    this.persist();
  }

  notepadPage(page: number): Buffer {
    return Buffer.from(this.image.notepad[page]);
  }

  /** Power-on state for a newly attached host: volatile state cleared, optional 0x55. */
  attach(): void {
    this.resetVolatile();
    if (this.sendReadyByte) this.send(Buffer.from([READY_BYTE]));
  }

  /** The cable was pulled: forget queued bytes and half-received frames. */
  detach(): void {
    this.pacer.clear();
    this.resetVolatile();
  }

  private resetVolatile(): void {
    this.framer.reset();
    this.receiving = null;
    this.verified = false;
    this.imageBuffer = null;
    this.charBuffers = this.charBuffers.map(() => null);
  }

  // ---------------------------------------------------------------- bytes

  /**
   * Bytes from the host. With pacing they are processed when they would have arrived. A partial
   * frame followed by more than the inter-byte timeout of silence is dropped before these bytes
   * are parsed, as a UART module's receive timeout does: otherwise the next commands would be
   * swallowed into a frame whose rest never comes (issue 16; docs/fingerprint-serial-framing.md).
   */
  receive(chunk: Buffer): void {
    const copy = Buffer.from(chunk);
    this.rxBytes += copy.length;
    const now = this.clock.nowMs();
    const gapped = this.interByteTimeoutMs > 0 && now - this.lastRxEndMs > this.interByteTimeoutMs;
    // Paced, a chunk still crossing the line when the next one arrives leaves no gap at all.
    const wireMs = this.pacer.paced ? (copy.length * 10 * 1000) / this.baudRate : 0;
    this.lastRxEndMs = Math.max(now, this.lastRxEndMs) + wireMs;
    this.pacer.schedule(copy.length, () => {
      if (gapped) this.framer.discardPartial('inter-byte timeout');
      this.framer.write(copy);
    });
  }

  private send(bytes: Buffer, notBefore = 0): void {
    this.txBytes += bytes.length;
    this.pacer.schedule(bytes.length, () => this.emit('output', bytes), notBefore);
  }

  /** The command being executed costs this much module time (with the timing model on). */
  private work(work: CommandWork): void {
    if (this.timing) this.workMs = moduleTimeMs(this.timing, work);
  }

  private reply(confirmation: number, result: Buffer = Buffer.alloc(0), address = this.image.address): void {
    if (this.dropReplies > 0) {
      this.dropReplies--;
      return;
    }
    const frame = encodePacket({ address, pid: Pid.Ack, content: Buffer.concat([Buffer.from([confirmation]), result]) });
    if (this.delayNextReplyMs > 0) {
      const delay = this.delayNextReplyMs;
      this.delayNextReplyMs = 0;
      setTimeout(() => this.send(frame), delay);
      return;
    }
    // The acknowledge leaves once the module has done the work (the line is idle meanwhile).
    this.send(frame, this.workMs > 0 ? this.commandAt + this.workMs : 0);
  }

  private persist(): void {
    this.flash.save(this.image);
  }

  // ---------------------------------------------------------------- protocol (docs/r503-protocol.md §Instruction set)

  private onPacket(packet: Packet): void {
    // The module ignores frames for another address (docs/r503-protocol.md §Link and defaults).
    if (packet.address !== this.image.address) return;
    if (this.silent) return;
    if (packet.pid === Pid.Data || packet.pid === Pid.EndData) {
      this.onDataPacket(packet);
      return;
    }
    if (packet.pid !== Pid.Command) return;
    // A new command abandons a DownChar transfer the host never finished.
    this.receiving = null;
    const op = packet.content[0];
    this.commandLog.push(op);
    const params = packet.content.subarray(1);
    this.commandAt = performance.now();
    this.workMs = 0;
    this.emit('command', op);
    // With a non-default password, only VfyPwd is accepted until verified (docs/r503-protocol.md §Link and defaults).
    if (this.image.password !== 0 && !this.verified && op !== 0x13) {
      this.reply(ConfirmationCode.PasswordRequired);
      return;
    }
    this.execute(op, params);
  }

  private onDataPacket(packet: Packet): void {
    // DownChar data packets get no per-packet ACK (docs/r503-protocol.md §Data packets and template size).
    if (!this.receiving) return;
    this.receiving.chunks.push(packet.content);
    if (packet.pid === Pid.EndData) {
      const data = Buffer.concat(this.receiving.chunks);
      this.charBuffers[this.receiving.bufferId] = { template: data };
      this.receiving = null;
      this.emit('downloaded');
    }
  }

  private expect(params: Buffer, length: number): boolean {
    if (params.length === length) return true;
    this.reply(ConfirmationCode.PacketReceiveError);
    return false;
  }

  private validBuffer(id: number, max = this.charBufferCount): boolean {
    if (id >= 1 && id <= max) return true;
    this.reply(ConfirmationCode.PacketReceiveError);
    return false;
  }

  private bufferFeatures(id: number): Buffer | null {
    const b = this.charBuffers[id];
    return b ? templateFeatures(b.template) : null;
  }

  private execute(op: number, p: Buffer): void {
    switch (op) {
      case 0x01: // GenImg
      case 0x28: // GetImageEx: refuses poor images with 07 (docs/r503-protocol.md §Instruction set)
        if (!this.expect(p, 0)) return;
        return this.captureImage(op);
      case 0x02: {
        // Img2Tz / GenChar
        if (!this.expect(p, 1) || !this.validBuffer(p[0])) return;
        if (!this.imageBuffer) return this.reply(ConfirmationCode.NoValidImage);
        this.work({ op });
        if (this.imageBuffer.poor) return this.reply(ConfirmationCode.TooFewFeatures);
        this.charBuffers[p[0]] = {
          template: featuresToTemplate(this.imageBuffer.features, this.templateSize),
          finger: this.imageBuffer.finger,
          captureRound: this.regRound,
        };
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x03: {
        // Match buffer 1 vs 2
        if (!this.expect(p, 0)) return;
        const a = this.bufferFeatures(1);
        const b = this.bufferFeatures(2);
        if (!a || !b) return this.reply(ConfirmationCode.InvalidTemplate);
        this.work({ op });
        const score = matchScore(a, b);
        if (score < matchThreshold(this.image.securityLevel)) return this.reply(ConfirmationCode.NoMatch, u16(0));
        return this.reply(ConfirmationCode.Ok, u16(score));
      }
      case 0x04: // Search
      case 0x1b: // HiSpeedSearch
        return this.search(op, p);
      case 0x05: {
        // RegModel: merge buffers 1 and 2 (plus, on the R503, buffers 3..6 captured for this
        // enrollment) into one template, stored back into buffers 1 and 2.
        if (!this.expect(p, 0)) return;
        const filled: Array<{ features: Buffer; finger?: string }> = [];
        for (let i = 1; i <= this.charBufferCount; i++) {
          const f = this.bufferFeatures(i);
          const current = i <= 2 || this.charBuffers[i]?.captureRound === this.regRound;
          if (f && current) filled.push({ features: f, finger: this.charBuffers[i]!.finger });
        }
        // Every RegModel, merged or refused, ends the round: a retried enrollment starts clean.
        this.regRound++;
        if (filled.length < 2) return this.reply(ConfirmationCode.MergeFailed);
        const threshold = matchThreshold(this.image.securityLevel);
        if (filled.slice(1).some((c) => matchScore(filled[0].features, c.features) < threshold)) {
          return this.reply(ConfirmationCode.MergeFailed);
        }
        const merged = featuresToTemplate(mergeFeatures(filled.map((c) => c.features)), this.templateSize);
        const finger = filled[0].finger;
        this.charBuffers[1] = { template: merged, finger };
        this.charBuffers[2] = { template: Buffer.from(merged), finger };
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x06: {
        // Store BufferID, PageID
        if (!this.expect(p, 3) || !this.validBuffer(p[0])) return;
        const page = p.readUInt16BE(1);
        if (page >= this.capacity) return this.reply(ConfirmationCode.PageOutOfRange);
        const buf = this.charBuffers[p[0]];
        if (!buf || !templateFeatures(buf.template) || buf.template.length !== this.templateSize) {
          return this.reply(ConfirmationCode.InvalidTemplate);
        }
        this.image.templates.set(page, { template: Buffer.from(buf.template), finger: buf.finger });
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x07: {
        // LoadChar BufferID, PageID
        if (!this.expect(p, 3) || !this.validBuffer(p[0])) return;
        const page = p.readUInt16BE(1);
        if (page >= this.capacity) return this.reply(ConfirmationCode.PageOutOfRange);
        const t = this.image.templates.get(page);
        if (!t) return this.reply(ConfirmationCode.InvalidTemplate);
        this.charBuffers[p[0]] = { template: Buffer.from(t.template), finger: t.finger };
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x08: {
        // UpChar: ACK then ⌈size/P⌉ data packets, last one PID 08 (docs/r503-protocol.md §Data packets and template size)
        if (!this.expect(p, 1) || !this.validBuffer(p[0])) return;
        const buf = this.charBuffers[p[0]];
        if (!buf) return this.reply(ConfirmationCode.UploadFailed);
        this.reply(ConfirmationCode.Ok);
        for (const packet of encodeDataPackets(this.image.address, buf.template, this.packetSize)) this.send(packet);
        return;
      }
      case 0x09: {
        // DownChar: ACK, then the host streams data packets
        if (!this.expect(p, 1) || !this.validBuffer(p[0])) return;
        this.reply(ConfirmationCode.Ok);
        this.receiving = { bufferId: p[0], chunks: [] };
        return;
      }
      case 0x0a: {
        // UpImage: 4 bits per pixel over UART (docs/r503-protocol.md §Instruction set)
        if (!this.expect(p, 0)) return;
        if (!this.imageBuffer) return this.reply(ConfirmationCode.UploadImageFailed);
        this.reply(ConfirmationCode.Ok);
        const pixels = Buffer.alloc(Math.ceil(this.imagePixels / 2));
        const r = seededRandom(this.imageBuffer.features.readUInt32BE(0));
        for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(r() * 256);
        for (const packet of encodeDataPackets(this.image.address, pixels, this.packetSize)) this.send(packet);
        return;
      }
      case 0x0b: {
        // DownImage: accept and discard the data packets
        if (!this.expect(p, 0)) return;
        this.reply(ConfirmationCode.Ok);
        this.receiving = { bufferId: 0, chunks: [] };
        return;
      }
      case 0x0c: {
        // DeletChar PageID, N
        if (!this.expect(p, 4)) return;
        const start = p.readUInt16BE(0);
        const count = p.readUInt16BE(2);
        if (count === 0 || start + count > this.capacity) return this.reply(ConfirmationCode.DeleteFailed);
        for (let id = start; id < start + count; id++) this.image.templates.delete(id);
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x0d: // Empty
        if (!this.expect(p, 0)) return;
        this.image.templates.clear();
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      case 0x0e:
        return this.setSysPara(p);
      case 0x0f: {
        // ReadSysPara (docs/r503-protocol.md §System parameters)
        if (!this.expect(p, 0)) return;
        const status = (this.verified || this.image.password === 0 ? 0b100 : 0) | (this.imageBuffer ? 0b1000 : 0);
        return this.reply(
          ConfirmationCode.Ok,
          encodeSystemParameters({
            statusRegister: status,
            systemId: 0x0009,
            capacity: this.capacity,
            securityLevel: this.image.securityLevel,
            address: this.image.address,
            packetSizeCode: this.image.packetSizeCode,
            baudRate: this.baudRate,
          }),
        );
      }
      case 0x12: // SetPwd
        if (!this.expect(p, 4)) return;
        this.image.password = p.readUInt32BE(0);
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      case 0x13: // VfyPwd
        if (!this.expect(p, 4)) return;
        if (p.readUInt32BE(0) !== this.image.password) {
          this.verified = false;
          return this.reply(ConfirmationCode.WrongPassword);
        }
        this.verified = true;
        return this.reply(ConfirmationCode.Ok);
      case 0x14: {
        // GetRandomCode
        if (!this.expect(p, 0)) return;
        const b = Buffer.alloc(4);
        b.writeUInt32BE(Math.floor(this.rnd() * 0x100000000) >>> 0);
        return this.reply(ConfirmationCode.Ok, b);
      }
      case 0x15: {
        // SetAdder: the reply already carries the new address
        if (!this.expect(p, 4)) return;
        this.image.address = p.readUInt32BE(0);
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x18: {
        // WriteNotepad page, 32 bytes
        if (!this.expect(p, 33)) return;
        if (p[0] > 15) return this.reply(ConfirmationCode.WrongNotepadPage);
        this.image.notepad[p[0]] = Buffer.from(p.subarray(1));
        this.persist();
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x19: // ReadNotepad page
        if (!this.expect(p, 1)) return;
        if (p[0] > 15) return this.reply(ConfirmationCode.WrongNotepadPage);
        return this.reply(ConfirmationCode.Ok, this.image.notepad[p[0]]);
      case 0x1d: {
        // TempleteNum
        if (!this.expect(p, 0)) return;
        return this.reply(ConfirmationCode.Ok, u16(this.image.templates.size));
      }
      case 0x1f: // ReadIndexTable page
        if (!this.expect(p, 1)) return;
        if (p[0] > 3) return this.reply(ConfirmationCode.PageOutOfRange);
        return this.reply(ConfirmationCode.Ok, encodeIndexTable(p[0], this.image.templates.keys()));
      case 0x17: // HandShake on FPM10A/ZFM (pyfingerprint handShake() sends 17 00)
      case 0x30: // Cancel
      case 0x36: // CheckSensor
      case 0x40: // HandShake (R503)
      case 0x50: // LED on (ZFM-60; Adafruit LEDcontrol(true))
      case 0x51: // LED off
        return this.reply(ConfirmationCode.Ok);
      case 0x35: {
        // AuraLedConfig ctrl, speed, colour, count
        if (!this.expect(p, 4)) return;
        this.led = { control: p[0], speed: p[1], colour: p[2], count: p[3] };
        this.emit('led', this.led);
        return this.reply(ConfirmationCode.Ok);
      }
      case 0x39: // GetAlgVer
      case 0x3a: {
        // GetFwVer
        if (!this.expect(p, 0)) return;
        const v = Buffer.alloc(32);
        v.write(op === 0x39 ? 'VR-ALG-1.0' : 'VR-FW-1.0', 'latin1');
        return this.reply(ConfirmationCode.Ok, v);
      }
      case 0x3c: // ReadProdInfo (docs/r503-protocol.md §Instruction set)
        if (!this.expect(p, 0)) return;
        return this.reply(
          ConfirmationCode.Ok,
          encodeProductInfo({
            model: 'R503-VIRTUAL',
            batch: 'VR01',
            serialNumber: this.serialNumber,
            hardwareVersion: 0x0102,
            sensorModel: 'VSENSOR',
            sensorWidth: 192,
            sensorHeight: 192,
            templateSize: this.templateSize,
            databaseSize: this.capacity,
          }),
        );
      case 0x3d: // SoftRst: reply, then the 0x55 ready byte (docs/r503-protocol.md §Link and defaults)
        if (!this.expect(p, 0)) return;
        this.reply(ConfirmationCode.Ok);
        this.resetVolatile();
        this.send(Buffer.from([READY_BYTE]));
        return;
      default:
        return this.reply(ConfirmationCode.Unsupported);
    }
  }

  private captureImage(op: number): void {
    const extended = op === 0x28;
    // The sensor is looked at when the command arrives: a finger placed during the answer is seen by the next GenImg.
    const finger = this.mode === 'nofinger' ? null : this.finger;
    this.work({ op, fingerPresent: finger !== null });
    if (finger === null) return this.reply(ConfirmationCode.NoFinger);
    const poor = this.mode === 'poor';
    this.imageBuffer = { features: captureFeatures(finger, this.rnd), poor, finger };
    if (poor && extended) return this.reply(ConfirmationCode.TooFewFeatures);
    return this.reply(ConfirmationCode.Ok);
  }

  private search(op: number, p: Buffer): void {
    if (!this.expect(p, 5) || !this.validBuffer(p[0])) return;
    const start = p.readUInt16BE(1);
    const count = p.readUInt16BE(3);
    const probe = this.bufferFeatures(p[0]);
    if (!probe) return this.reply(ConfirmationCode.InvalidTemplate);
    if (start >= this.capacity) return this.reply(ConfirmationCode.PageOutOfRange);
    const end = Math.min(this.capacity, start + count);
    const threshold = matchThreshold(this.image.securityLevel);
    let best: { id: number; score: number } | null = null;
    let compared = 0;
    for (const [id, t] of this.image.templates) {
      if (id < start || id >= end) continue;
      compared++;
      const f = templateFeatures(t.template);
      if (!f) continue;
      const score = matchScore(probe, f);
      if (score >= threshold && (!best || score > best.score)) best = { id, score };
    }
    this.work({ op, templatesCompared: compared });
    if (!best) return this.reply(ConfirmationCode.NotFound, Buffer.alloc(4));
    return this.reply(ConfirmationCode.Ok, Buffer.concat([u16(best.id), u16(best.score)]));
  }

  private setSysPara(p: Buffer): void {
    // SetSysPara registers 4 = baud N, 5 = security level, 6 = packet size code; applied after the reply (docs/r503-protocol.md §System parameters).
    if (!this.expect(p, 2)) return;
    const [register, value] = p;
    let apply: () => void;
    switch (register) {
      case 4:
        if (![1, 2, 4, 6, 12].includes(value)) return this.reply(ConfirmationCode.BadRegisterConfig);
        apply = () => {
          this.image.baudN = value;
          if (this.paceEnabled) this.pacer.setBaudRate(this.baudRate);
        };
        break;
      case 5:
        if (value < 1 || value > 5) return this.reply(ConfirmationCode.BadRegisterConfig);
        apply = () => (this.image.securityLevel = value);
        break;
      case 6:
        if (value > 3) return this.reply(ConfirmationCode.BadRegisterConfig);
        apply = () => (this.image.packetSizeCode = value);
        break;
      default:
        return this.reply(ConfirmationCode.InvalidRegister);
    }
    this.reply(ConfirmationCode.Ok);
    apply();
    this.persist();
  }
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
