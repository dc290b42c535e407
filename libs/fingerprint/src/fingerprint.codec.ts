/**
 * Packet codec for the ZhianTec-family fingerprint protocol (ZFM-20/60, R30x, R50x, AS608).
 *
 * ```
 *  0      2               6     7         9            9+n         11+n
 *  +------+---------------+-----+---------+-------------+-----------+
 *  | EF01 | address (BE)  | PID | LEN(BE) | content (n) | SUM (BE)  |
 *  +------+---------------+-----+---------+-------------+-----------+
 *  LEN = n + 2;  SUM = (PID + LEN_hi + LEN_lo + Σ content) mod 2^16
 * ```
 * All multi-byte fields are big-endian; the module ignores frames for another address
 * (docs/r503-protocol.md §Link and defaults). Pure functions only: no I/O, no timers, so the
 * framer, the driver and the virtual reader all share one definition of the bytes.
 */

export const HEADER = 0xef01;
export const DEFAULT_ADDRESS = 0xffffffff;
export const DEFAULT_PASSWORD = 0x00000000;
/** Header(2) + address(4) + PID(1) + LEN(2). */
export const PREFIX_LENGTH = 9;
/** Prefix plus the 2-byte checksum: bytes on the wire around the content. */
export const FRAME_OVERHEAD = 11;
/** The largest packet-size setting is 256 bytes of content (docs/r503-protocol.md §System parameters). */
export const MAX_CONTENT_LENGTH = 256;
/**
 * Content of the longest command packet in the instruction set: WriteNotepad (0x18) is the
 * instruction, a page number and 32 bytes of data (R503 user manual, "Write note pad"). A module
 * never has to wait for a longer command (docs/fingerprint-serial-framing.md).
 */
export const MAX_COMMAND_CONTENT_LENGTH = 34;
/**
 * Bound on an acknowledge packet's content. The longest in the R503 manual is ReadProdInfo's
 * (confirmation code and 46 bytes); 64 leaves room for other models' replies and is the payload
 * buffer Adafruit's client library gives a packet (docs/fingerprint-serial-framing.md).
 */
export const MAX_ACK_CONTENT_LENGTH = 64;
/** R503 sends this single byte when ready after power-up or SoftRst (docs/r503-protocol.md §Link and defaults). */
export const READY_BYTE = 0x55;

/** Packet identifier (docs/r503-protocol.md §Link and defaults). */
export enum Pid {
  Command = 0x01,
  Data = 0x02,
  Ack = 0x07,
  EndData = 0x08,
}

const VALID_PIDS = new Set<number>([Pid.Command, Pid.Data, Pid.Ack, Pid.EndData]);

/** Packet size code 0..3 in ReadSysPara word 6 / SetSysPara param 6 (docs/r503-protocol.md §System parameters). */
export const PACKET_SIZES = [32, 64, 128, 256] as const;

export interface Packet {
  address: number;
  pid: Pid;
  content: Buffer;
}

/** 16-bit arithmetic sum of PID, both LENGTH bytes and the content (docs/r503-protocol.md §Link and defaults). */
export function checksum(pid: number, length: number, content: Uint8Array): number {
  let sum = pid + (length >> 8) + (length & 0xff);
  for (const b of content) sum += b;
  return sum & 0xffff;
}

export function encodePacket(packet: Packet): Buffer {
  const { address, pid, content } = packet;
  if (content.length === 0 || content.length > MAX_CONTENT_LENGTH) {
    throw new RangeError(`packet content must be 1..${MAX_CONTENT_LENGTH} bytes, got ${content.length}`);
  }
  const length = content.length + 2;
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD + content.length);
  out.writeUInt16BE(HEADER, 0);
  out.writeUInt32BE(address >>> 0, 2);
  out.writeUInt8(pid, 6);
  out.writeUInt16BE(length, 7);
  content.copy(out, PREFIX_LENGTH);
  out.writeUInt16BE(checksum(pid, length, content), PREFIX_LENGTH + content.length);
  return out;
}

/**
 * What the caller of {@link decodePacket} must do next, after libosdp's `osdp_pkt_errors_e`.
 * Every non-ok kind says how many bytes to discard so the caller never has to guess.
 */
export type DecodeResult =
  /** The buffer holds a valid prefix of a frame: keep it and wait for more bytes. */
  | { kind: 'need-more' }
  /** Garbage, an impossible PID or an absurd length: drop `consumed` bytes and rescan. */
  | { kind: 'malformed'; consumed: number; reason: string }
  /**
   * A complete frame whose sum is wrong. Only the header is dropped: the "frame" may have been
   * garbage that happened to start with EF 01 and a real frame may begin inside it.
   */
  | { kind: 'bad-checksum'; consumed: number; expected: number; actual: number }
  /** A well-formed frame for another module on a shared bus: drop the whole frame. */
  | { kind: 'not-for-us'; consumed: number; address: number }
  | { kind: 'ok'; consumed: number; packet: Packet };

/** Largest content length accepted, for every packet or per packet identifier. */
export type MaxContentLength = number | ((pid: Pid) => number);

export interface DecodeOptions {
  /** Accept only frames for this address; undefined accepts any. */
  address?: number;
  /** Largest content length accepted (defaults to {@link MAX_CONTENT_LENGTH}). */
  maxContentLength?: MaxContentLength;
}

function nextHeaderCandidate(buf: Buffer, from: number): number {
  const i = buf.indexOf(0xef, from);
  return i < 0 ? buf.length : i;
}

export function decodePacket(buf: Buffer, options: DecodeOptions = {}): DecodeResult {
  const limit = options.maxContentLength ?? MAX_CONTENT_LENGTH;
  if (buf.length === 0) return { kind: 'need-more' };
  if (buf[0] !== 0xef) {
    return { kind: 'malformed', consumed: nextHeaderCandidate(buf, 1), reason: 'no header' };
  }
  if (buf.length < 2) return { kind: 'need-more' };
  if (buf[1] !== 0x01) {
    return { kind: 'malformed', consumed: nextHeaderCandidate(buf, 1), reason: 'no header' };
  }
  if (buf.length < PREFIX_LENGTH) return { kind: 'need-more' };
  const pid = buf[6];
  if (!VALID_PIDS.has(pid)) {
    return { kind: 'malformed', consumed: 2, reason: `unknown PID 0x${pid.toString(16).padStart(2, '0')}` };
  }
  const length = buf.readUInt16BE(7);
  const maxContent = typeof limit === 'number' ? limit : limit(pid as Pid);
  // LEN counts content + checksum, and content is at least one byte (instruction, confirmation
  // code or data; docs/fingerprint-serial-framing.md §The frame); the content may not exceed the
  // packet size (docs/r503-protocol.md §Data packets and template size).
  if (length < 3 || length > maxContent + 2) {
    return { kind: 'malformed', consumed: 2, reason: `absurd length ${length}` };
  }
  const total = PREFIX_LENGTH + length;
  if (buf.length < total) return { kind: 'need-more' };
  const content = buf.subarray(PREFIX_LENGTH, total - 2);
  const expected = checksum(pid, length, content);
  const actual = buf.readUInt16BE(total - 2);
  if (expected !== actual) return { kind: 'bad-checksum', consumed: 2, expected, actual };
  const address = buf.readUInt32BE(2);
  if (options.address !== undefined && address !== options.address >>> 0) {
    return { kind: 'not-for-us', consumed: total, address };
  }
  return { kind: 'ok', consumed: total, packet: { address, pid: pid as Pid, content: Buffer.from(content) } };
}

/** Bytes on the wire for a packet with `contentLength` bytes of content. */
export function wireLength(contentLength: number): number {
  return FRAME_OVERHEAD + contentLength;
}

/**
 * Split a template (or image) into data packets of `packetSize` content bytes: all PID 02 but the
 * last, which is PID 08. No per-packet ACK follows any of them (docs/r503-protocol.md §Data packets
 * and template size).
 */
export function encodeDataPackets(address: number, data: Buffer, packetSize: number): Buffer[] {
  if (!PACKET_SIZES.includes(packetSize as (typeof PACKET_SIZES)[number])) {
    throw new RangeError(`packet size must be one of ${PACKET_SIZES.join('/')}, got ${packetSize}`);
  }
  if (data.length === 0) throw new RangeError('cannot send an empty data transfer');
  const packets: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += packetSize) {
    const last = offset + packetSize >= data.length;
    packets.push(encodePacket({ address, pid: last ? Pid.EndData : Pid.Data, content: data.subarray(offset, offset + packetSize) }));
  }
  return packets;
}

/** Content of a command packet: instruction byte followed by its parameters. */
export function commandContent(instruction: number, ...params: Array<number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from([instruction])];
  for (const p of params) parts.push(typeof p === 'number' ? Buffer.from([p & 0xff]) : p);
  return Buffer.concat(parts);
}

export function u16(value: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
}

export function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')
    .toUpperCase();
}
