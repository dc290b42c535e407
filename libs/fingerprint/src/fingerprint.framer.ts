import { Transform, type TransformCallback } from 'node:stream';
import { decodePacket, MAX_CONTENT_LENGTH, type DecodeResult, type MaxContentLength } from './fingerprint.codec.js';

export interface FramerOptions {
  /** Only frames for this module address are emitted; others are dropped as not-for-us. */
  address?: number;
  /**
   * Largest content length accepted; longer LENGTH fields are rejected as absurd at once. A number
   * (1..65533, default 256) or a function of the packet identifier (e.g. commands are short).
   */
  maxContentLength?: MaxContentLength;
}

/** A dropped stretch of input and why, for counters and debug logs (never the bytes themselves). */
export type FramerDrop = Exclude<DecodeResult, { kind: 'ok' } | { kind: 'need-more' }>;

/** Why held bytes were thrown away without being decoded (see {@link FingerprintFramer.discardPartial}). */
export type PartialDropReason = 'inter-byte timeout' | 'stale before a new command';

/**
 * Bytes in, `Packet`s out (object mode). Frames may arrive split at any byte or glued together;
 * garbage before a header, bad checksums and absurd lengths are dropped and the framer rescans from
 * the next candidate header (docs/fingerprint-serial-framing.md §The frame). We need our own
 * instead of @serialport/parser-packet-length, which reads LENGTH little-endian
 * (docs/r503-protocol.md §Host side: node-serialport).
 */
export class FingerprintFramer extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly address?: number;
  private readonly maxContentLength: MaxContentLength;

  constructor(options: FramerOptions = {}) {
    super({ readableObjectMode: true });
    const { address, maxContentLength = MAX_CONTENT_LENGTH } = options;
    if (typeof maxContentLength === 'number' && (maxContentLength < 1 || maxContentLength > 0xfffd)) {
      throw new TypeError('"maxContentLength" must be between 1 and 65533');
    }
    this.address = address;
    this.maxContentLength = maxContentLength;
  }

  /** Forget a partial frame, e.g. after a command timed out and the stale bytes can't be trusted. */
  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  /**
   * Drop a partial frame the rest of which will never come, and say so with a `drop` event
   * (`malformed`, the reason, the byte count). A UART receiver does this after an inter-byte
   * gap; a host does it before sending a command, since no byte that arrived earlier can belong
   * to the reply. Returns the number of bytes dropped (0 when nothing was held).
   */
  discardPartial(reason: PartialDropReason): number {
    const held = this.buffer.length;
    if (held === 0) return 0;
    this.buffer = Buffer.alloc(0);
    this.emit('drop', { kind: 'malformed', consumed: held, reason } satisfies FramerDrop);
    return held;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.drain();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.drain();
    this.buffer = Buffer.alloc(0);
    callback();
  }

  private drain(): void {
    const options = { address: this.address, maxContentLength: this.maxContentLength };
    while (this.buffer.length > 0) {
      const result = decodePacket(this.buffer, options);
      if (result.kind === 'need-more') return;
      this.buffer = this.buffer.subarray(result.consumed);
      if (result.kind === 'ok') {
        this.push(result.packet);
      } else {
        this.emit('drop', result);
      }
    }
  }
}
