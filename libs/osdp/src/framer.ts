import { Transform, type TransformCallback } from 'node:stream';
import type { Clock } from '@acs/clock';
import { decodePacket, MAX_PACKET_LENGTH, SOM, type DecodeOptions, type DecodeResult } from './packet.js';

/**
 * Nominal inter-character timeout of OSDP v2.2 §5 ("Message synchronization": 20 ms). A gap this
 * long inside a packet means its rest is not coming (a PD lost power mid-reply, a cable was
 * pulled); the held bytes are dropped so the next SOM is read as a packet start.
 */
export const INTER_BYTE_TIMEOUT_MS = 20;

export interface OsdpFramerOptions extends DecodeOptions {
  /** Source of time for the inter-byte timeout (docs/architecture.md: time comes from an injected clock). */
  clock: Clock;
  /** Gap after which a partial packet is dropped; default {@link INTER_BYTE_TIMEOUT_MS}. */
  interByteTimeoutMs?: number;
}

export type TruncatedReason = 'inter-byte timeout' | 'end of stream';

/** A dropped stretch of input and why, for counters and debug logs (never the bytes themselves). */
export type OsdpFramerDrop =
  Exclude<DecodeResult, { kind: 'ok' } | { kind: 'need-more' } | { kind: 'mark' }> | { kind: 'truncated'; consumed: number; reason: TruncatedReason };

/**
 * Bytes in, {@link DecodedPacket}s out (object mode), modelled on the fingerprint framer. Packets
 * may arrive split at any byte or glued together; mark bytes are skipped silently; garbage, bad
 * check bytes, absurd or too-long LEN fields are dropped with a `drop` event and the framer rescans
 * from the next SOM (as a PD does to regain synchronisation, §5). Packets for other PDs or in the
 * other direction are dropped as `not-for-us` when the options name our side and addresses.
 *
 * It never throws on input and never stalls: it holds at most one partial packet, shorter than
 * `maxPacketLength`, and drops it after an inter-byte gap (checked when the next bytes arrive, and
 * whenever the owner calls {@link tick}, e.g. when its reply timer fires).
 */
export class OsdpFramer extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private lastByteAt = 0;
  private readonly clock: Clock;
  private readonly interByteTimeoutMs: number;
  private readonly decode: DecodeOptions;

  constructor(options: OsdpFramerOptions) {
    super({ readableObjectMode: true });
    const { clock, interByteTimeoutMs = INTER_BYTE_TIMEOUT_MS, maxPacketLength = MAX_PACKET_LENGTH, direction, addresses } = options;
    // 8 bytes is the shortest packet with a CRC; 65535 is what LEN can say.
    if (!Number.isInteger(maxPacketLength) || maxPacketLength < 8 || maxPacketLength > 0xffff) {
      throw new TypeError('"maxPacketLength" must be an integer between 8 and 65535');
    }
    if (!(interByteTimeoutMs > 0)) throw new TypeError('"interByteTimeoutMs" must be positive');
    this.clock = clock;
    this.interByteTimeoutMs = interByteTimeoutMs;
    this.decode = { maxPacketLength, direction, addresses };
  }

  /** Bytes held waiting for the rest of a packet. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Forget a partial packet without reporting it (e.g. the port was reopened). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  /**
   * Expires a held partial packet whose last byte is older than the inter-byte timeout. Returns the
   * number of bytes dropped as `truncated`. The held bytes are searched for a complete packet first:
   * a garbage SOM with a plausible LEN may have swallowed a real packet that will never be "completed"
   * by more bytes, and dropping it with the garbage would lose a card read (libosdp rescans the same
   * way, `phy_rescan_packet_buf` in src/osdp_phy.c).
   */
  tick(): number {
    if (this.buffer.length === 0 || this.clock.nowMs() - this.lastByteAt <= this.interByteTimeoutMs) return 0;
    let dropped = 0;
    while (this.buffer.length > 0) {
      const next = this.nextCompletePacket();
      dropped += next;
      this.emit('drop', { kind: 'truncated', consumed: next, reason: 'inter-byte timeout' } satisfies OsdpFramerDrop);
      this.buffer = next === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(next);
      this.drain();
    }
    return dropped;
  }

  /**
   * Offset of the first SOM after the start of the held bytes where a whole sound packet starts
   * (ours, or another PD's so that it is reported as such), or the held length.
   */
  private nextCompletePacket(): number {
    for (let at = this.buffer.indexOf(SOM, 1); at > 0; at = this.buffer.indexOf(SOM, at + 1)) {
      const kind = decodePacket(this.buffer.subarray(at), this.decode).kind;
      if (kind === 'ok' || kind === 'not-for-us') return at;
    }
    return this.buffer.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tick();
    this.lastByteAt = this.clock.nowMs();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.drain();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const held = this.buffer.length;
    this.buffer = Buffer.alloc(0);
    if (held > 0) this.emit('drop', { kind: 'truncated', consumed: held, reason: 'end of stream' } satisfies OsdpFramerDrop);
    callback();
  }

  private drain(): void {
    while (this.buffer.length > 0) {
      const result = decodePacket(this.buffer, this.decode);
      if (result.kind === 'need-more') break;
      this.buffer = this.buffer.subarray(result.consumed);
      if (result.kind === 'ok') this.push(result.packet);
      else if (result.kind !== 'mark') this.emit('drop', result);
    }
    // Hold a copy, not a view: a view would keep the whole (possibly large) chunk alive.
    if (this.buffer.length > 0) this.buffer = Buffer.from(this.buffer);
  }
}
