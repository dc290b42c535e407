import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Why this exists: aedes hands every socket to mqtt-packet's parser, which appends incoming bytes
 * to a buffer list until the whole packet announced by the fixed header has arrived, and neither
 * aedes 1.x nor mqtt-packet 9 takes a maximum packet size (MQTT 5's Maximum Packet Size property
 * [MQTT-3.1.2.4.x] is not enforced by either, and 3.1.1 clients do not send it). A client can
 * announce 256 MB and stream it, before or after CONNECT, and the broker buffers all of it.
 *
 * The gate reads each packet's fixed header as the bytes pass (MQTT 3.1.1 §2.2: one byte of type
 * and flags, then the Remaining Length as a variable byte integer of at most four bytes, 7 bits per
 * byte, least significant first, §2.2.3) and refuses a packet whose announced length exceeds the
 * limit before its body is read. It holds no bytes itself: it only counts how much of the
 * current packet is still to pass.
 */
export type GateRefusal =
  | { reason: 'packet-too-large'; packetType: number; announced: number; limit: number }
  | { reason: 'malformed-length'; packetType: number }
  | { reason: 'connect-expected'; packetType: number };

/** MQTT control packet type 1 [MQTT-2.2.1]. */
export const CONNECT_PACKET_TYPE = 1;

export class FixedHeaderScanner {
  private remaining = 0;
  private inHeader = false;
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private packets = 0;

  constructor(private readonly maxRemainingLength: number) {}

  /** Packets whose headers have passed completely. */
  get packetCount(): number {
    return this.packets;
  }

  /** Feeds the next bytes of the stream; returns why the stream must be refused, or undefined. */
  feed(chunk: Uint8Array): GateRefusal | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++];
      if (!this.inHeader) {
        this.type = byte >> 4;
        // "After a Network Connection is established by a Client to a Server, the first Packet
        // sent from the Client to the Server MUST be a CONNECT Packet" [MQTT-3.1.0-1].
        if (this.packets === 0 && this.type !== CONNECT_PACKET_TYPE) return { reason: 'connect-expected', packetType: this.type };
        this.inHeader = true;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { reason: 'malformed-length', packetType: this.type }; // §2.2.3: at most four bytes
        continue;
      }
      this.inHeader = false;
      this.packets++;
      if (this.length > this.maxRemainingLength) {
        return { reason: 'packet-too-large', packetType: this.type, announced: this.length, limit: this.maxRemainingLength };
      }
      this.remaining = this.length;
    }
    return undefined;
  }
}

/**
 * The socket as aedes sees it: bytes pass through the scanner on their way in; a refused stream
 * is destroyed before the offending body is read. Writes go straight to the socket. Backpressure
 * holds: the socket is paused while aedes does not read.
 */
export class GatedConnection extends Duplex {
  private readonly scanner: FixedHeaderScanner;
  private connectSeen = false;

  constructor(
    readonly socket: Socket,
    maxRemainingLength: number,
    private readonly onRefused: (refusal: GateRefusal) => void,
  ) {
    super({ allowHalfOpen: false });
    this.scanner = new FixedHeaderScanner(maxRemainingLength);
    socket.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      const refusal = this.scanner.feed(chunk);
      if (refusal) {
        // Nothing of this chunk reaches the parser; the socket goes, so no further bytes are read.
        socket.destroy();
        this.destroy();
        this.onRefused(refusal);
        return;
      }
      const more = this.push(chunk);
      if (!this.connectSeen && this.scanner.packetCount > 0) {
        // The first header was a CONNECT of acceptable size: only now is the broker worth involving.
        this.connectSeen = true;
        this.emit('connect-header');
      }
      if (!more) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  // mqtt-packet corks the stream around the parts of one packet; keep them in one segment (TCP_NODELAY is on).
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
