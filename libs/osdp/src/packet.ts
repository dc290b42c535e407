/**
 * One OSDP packet on the wire (OSDP v2.2 / IEC 60839-11-5 §5, "Message structure"; the facts and
 * sources are in docs/osdp.md §Packet):
 *
 * ```
 *  SOM  ADDR  LEN_LSB LEN_MSB  CTRL  [SEC_BLK_LEN SEC_BLK_TYPE SEC_BLK_DATA…]  CODE  DATA…  [MAC×4]  CKSUM | CRC_LSB CRC_MSB
 *  0x53 bit7 = reply  LEN counts SOM through the check bytes
 *  CTRL: bits 0–1 sequence number, bit 2 CRC-16 (else 8-bit checksum), bit 3 security block present
 * ```
 *
 * Pure functions, no I/O and no clock: the framer, a future bus loop and the virtual reader share
 * one definition of the bytes. Secure-channel cryptography is not done here: a packet whose
 * security block type carries a MAC (0x15–0x18) is sealed and opened through {@link PacketSecurity},
 * which the secure-channel module implements.
 */
import { checksum8, crc16 } from './crc.js';

export const SOM = 0x53;
/** A transmitter drives the line to marking (sends 0xFF) before SOM; receivers skip it (docs/osdp.md §Mark byte). */
export const MARK = 0xff;
export const BROADCAST_ADDRESS = 0x7f;
/** ADDR bit 7: set in every reply (PD → ACU), clear in every command. */
export const REPLY_BIT = 0x80;
/** SOM, ADDR, LEN (2), CTRL. */
export const HEADER_LENGTH = 5;
/** The packet carries the first 4 bytes of the 16-byte AES MAC (Annex D). */
export const MAC_LENGTH = 4;
/** Largest packet the spec lets either side send; a device may declare a smaller receive buffer (PDCAP 10, ACURXSIZE). */
export const MAX_PACKET_LENGTH = 1440;

const CTRL_SQN = 0x03;
const CTRL_CRC = 0x04;
const CTRL_SCB = 0x08;

export type Direction = 'command' | 'reply';
export type Sequence = 0 | 1 | 2 | 3;
export type Integrity = 'crc' | 'checksum';

/** Security block types (OSDP v2.2 Annex D, "Security Control Block"). */
export enum ScbType {
  /** osdp_CHLNG; data byte 0: 0x00 = SCBK-D, 0x01 = SCBK. */
  Chlng = 0x11,
  /** osdp_CCRYPT; data byte 0 as in CHLNG. */
  Ccrypt = 0x12,
  /** osdp_SCRYPT; data byte 0 as in CHLNG. */
  Scrypt = 0x13,
  /** osdp_RMAC_I; data byte 0: 0x01 = the ACU's cryptogram was accepted (docs/osdp.md §Security control block). */
  RmacI = 0x14,
  /** Command with MAC, data in clear. */
  CommandMac = 0x15,
  /** Reply with MAC, data in clear. */
  ReplyMac = 0x16,
  /** Command with MAC, data encrypted. */
  CommandMacEncrypted = 0x17,
  /** Reply with MAC, data encrypted. */
  ReplyMacEncrypted = 0x18,
}

/** Types 0x15–0x18 end the packet with a 4-byte MAC before the check bytes. */
export function carriesMac(scbType: number): boolean {
  return scbType >= ScbType.CommandMac && scbType <= ScbType.ReplyMacEncrypted;
}

/** Types 0x17/0x18: DATA is AES-CBC ciphertext. */
export function isEncrypted(scbType: number): boolean {
  return scbType === ScbType.CommandMacEncrypted || scbType === ScbType.ReplyMacEncrypted;
}

export interface SecurityBlock {
  /** SEC_BLK_TYPE; any byte is carried, only 0x11–0x18 are defined. */
  type: number;
  /** SEC_BLK_DATA (SEC_BLK_LEN is 2 + its length). */
  data: Buffer;
}

export interface Packet {
  direction: Direction;
  /** 0x00–0x7E a PD, 0x7F broadcast (reply bit removed). */
  address: number;
  sequence: Sequence;
  integrity: Integrity;
  security?: SecurityBlock;
  /** Command or reply code. */
  code: number;
  /** DATA as on the wire (ciphertext for SCB types 0x17/0x18). */
  data: Buffer;
  /** The 4 MAC bytes, present exactly when the security block type carries a MAC. */
  mac?: Buffer;
}

/** A packet read from the wire, with its bytes (SOM through the check bytes) for MAC verification. */
export interface DecodedPacket extends Packet {
  raw: Buffer;
}

/**
 * What the secure-channel module offers the packet layer (implemented under src/secure/). The
 * implementation holds the session keys and the MAC chain; `direction` is the direction of the
 * packet being sealed or opened, which selects the IV (last R-MAC for commands, last C-MAC for
 * replies; Annex D). Order on the wire: encrypt DATA, then MAC over SOM..DATA, then the check bytes.
 */
export interface PacketSecurity {
  /** Encrypts a DATA block (pad 0x80 00…, AES-CBC under S-ENC); returns whole 16-byte blocks. */
  encrypt(direction: Direction, plaintext: Uint8Array): Uint8Array;
  /** Decrypts and removes the padding; undefined when the padding is wrong. */
  decrypt(direction: Direction, ciphertext: Uint8Array): Uint8Array | undefined;
  /** MAC over `input` (SOM through the last DATA byte, LEN final); the first 4 bytes go on the wire. Advances the chain. */
  sign(direction: Direction, input: Uint8Array): Uint8Array;
  /** True when `mac` (4 bytes) is the MAC of `input`; advances the chain only then. */
  verify(direction: Direction, input: Uint8Array, mac: Uint8Array): boolean;
}

/** A packet the caller asked for cannot exist (a programming error, not wire input). */
export class OsdpEncodeError extends RangeError {
  override readonly name = 'OsdpEncodeError';
}

export interface PacketInit {
  direction: Direction;
  address: number;
  sequence: Sequence;
  /** Default 'crc'; 'checksum' for a PD without CRC support in its PDCAP or that NAKs a CRC packet (docs/osdp.md §Check bytes). */
  integrity?: Integrity;
  security?: SecurityBlock;
  code: number;
  /** Plaintext DATA (encrypted through `sealer` for SCB types 0x17/0x18). */
  data?: Uint8Array;
  /** MAC bytes to carry as given, when no `sealer` is passed (tests, replays). */
  mac?: Uint8Array;
}

function u8(value: number, what: string, max = 0xff): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new OsdpEncodeError(`${what} must be an integer 0..${max}, got ${value}`);
  return value;
}

/** Builds the wire bytes of one packet (without the leading mark byte; see {@link withMark}). */
export function encodePacket(init: PacketInit, sealer?: PacketSecurity): Buffer {
  const { direction, security, integrity = 'crc' } = init;
  const address = u8(init.address, 'address', BROADCAST_ADDRESS);
  const sequence = u8(init.sequence, 'sequence', 3);
  const code = u8(init.code, 'code');
  let data: Uint8Array = init.data ?? Buffer.alloc(0);
  const withMac = security !== undefined && carriesMac(security.type);
  if (security) {
    u8(security.type, 'security block type');
    u8(security.data.length, 'security block data length', 0xfd);
    if (isEncrypted(security.type)) {
      // The spec says a command or reply without data uses 0x15/0x16 instead (Annex D).
      if (data.length === 0) throw new OsdpEncodeError('an encrypted security block needs data; use 0x15/0x16 without data');
      if (!sealer) throw new OsdpEncodeError('security block type 0x17/0x18 needs a PacketSecurity to encrypt');
      data = sealer.encrypt(direction, data);
    }
    if (withMac && !sealer && init.mac?.length !== MAC_LENGTH) {
      throw new OsdpEncodeError('security block type 0x15–0x18 needs a PacketSecurity or 4 MAC bytes');
    }
  } else if (init.mac) {
    throw new OsdpEncodeError('MAC bytes without a security block');
  }
  const scbLength = security ? 2 + security.data.length : 0;
  const checkLength = integrity === 'crc' ? 2 : 1;
  const macOffset = HEADER_LENGTH + scbLength + 1 + data.length;
  const length = macOffset + (withMac ? MAC_LENGTH : 0) + checkLength;
  if (length > 0xffff) throw new OsdpEncodeError(`packet of ${length} bytes exceeds the 16-bit LEN field`);

  const out = Buffer.alloc(length);
  out[0] = SOM;
  out[1] = address | (direction === 'reply' ? REPLY_BIT : 0);
  out.writeUInt16LE(length, 2);
  out[4] = sequence | (integrity === 'crc' ? CTRL_CRC : 0) | (security ? CTRL_SCB : 0);
  let at = HEADER_LENGTH;
  if (security) {
    out[at++] = scbLength;
    out[at++] = security.type;
    out.set(security.data, at);
    at += security.data.length;
  }
  out[at++] = code;
  out.set(data, at);
  if (withMac) {
    const mac = sealer ? sealer.sign(direction, out.subarray(0, macOffset)) : (init.mac as Uint8Array);
    if (mac.length < MAC_LENGTH) throw new OsdpEncodeError('PacketSecurity.sign returned fewer than 4 bytes');
    out.set(mac.subarray(0, MAC_LENGTH), macOffset);
  }
  const checkAt = length - checkLength;
  if (integrity === 'crc') out.writeUInt16LE(crc16(out, 0, checkAt), checkAt);
  else out[checkAt] = checksum8(out, 0, checkAt);
  return out;
}

/** The packet preceded by the mark byte, as a transmitter sends it. */
export function withMark(packet: Buffer): Buffer {
  return Buffer.concat([Buffer.from([MARK]), packet]);
}

/**
 * What the caller of {@link decodePacket} does next (same shape as the fingerprint codec's). Every
 * kind but `need-more` says how many bytes to discard, so the caller never guesses.
 */
export type DecodeResult =
  /** The buffer holds a valid prefix of a packet: keep it and wait for more bytes. */
  | { kind: 'need-more' }
  /** Mark (0xFF) bytes before SOM: the line idling between packets, not an error. */
  | { kind: 'mark'; consumed: number }
  /** Bytes before a SOM, an impossible LEN, or a packet whose inner lengths do not add up. */
  | { kind: 'malformed'; consumed: number; reason: string }
  /** LEN beyond the configured maximum: rejected at once instead of waiting for the bytes. */
  | { kind: 'too-long'; consumed: number; length: number; max: number }
  /**
   * Complete but the CRC or checksum is wrong. Only SOM is dropped: the "packet" may be noise that
   * happened to contain 0x53, and a real packet may start inside it.
   */
  | { kind: 'bad-checksum'; consumed: number; check: Integrity; expected: number; actual: number }
  /** A sound packet for another PD, or in the other direction (our own echo, a second ACU). */
  | { kind: 'not-for-us'; consumed: number; address: number; reason: 'other address' | 'wrong direction' }
  | { kind: 'ok'; consumed: number; packet: DecodedPacket };

export interface DecodeOptions {
  /** Largest LEN accepted (default {@link MAX_PACKET_LENGTH}). */
  maxPacketLength?: number;
  /** Accept only this direction: 'reply' at an ACU, 'command' at a PD. */
  direction?: Direction;
  /** Accept only these addresses; the broadcast address 0x7F always passes. */
  addresses?: ReadonlySet<number>;
}

function nextSom(buf: Buffer, from: number): number {
  const i = buf.indexOf(SOM, from);
  return i < 0 ? buf.length : i;
}

/** Decodes the packet at the start of `buf`. Never throws, whatever the bytes. */
export function decodePacket(buf: Buffer, options: DecodeOptions = {}): DecodeResult {
  const max = options.maxPacketLength ?? MAX_PACKET_LENGTH;
  if (buf.length === 0) return { kind: 'need-more' };
  if (buf[0] !== SOM) {
    const som = nextSom(buf, 1);
    let marks = 0;
    while (marks < som && buf[marks] === MARK) marks++;
    if (marks === som) return { kind: 'mark', consumed: som };
    return { kind: 'malformed', consumed: som, reason: 'no SOM' };
  }
  if (buf.length < HEADER_LENGTH) return { kind: 'need-more' };
  const length = buf.readUInt16LE(2);
  const ctrl = buf[4];
  const checkLength = ctrl & CTRL_CRC ? 2 : 1;
  const hasScb = (ctrl & CTRL_SCB) !== 0;
  // Header, code, check bytes; with a security block at least its two length/type bytes.
  const minimum = HEADER_LENGTH + (hasScb ? 2 : 0) + 1 + checkLength;
  if (length < minimum) return { kind: 'malformed', consumed: 1, reason: `length ${length} below ${minimum}` };
  if (length > max) return { kind: 'too-long', consumed: 1, length, max };
  if (buf.length < length) return { kind: 'need-more' };

  const checkAt = length - checkLength;
  const expected = checkLength === 2 ? crc16(buf, 0, checkAt) : checksum8(buf, 0, checkAt);
  const actual = checkLength === 2 ? buf.readUInt16LE(checkAt) : buf[checkAt];
  if (expected !== actual) return { kind: 'bad-checksum', consumed: 1, check: checkLength === 2 ? 'crc' : 'checksum', expected, actual };

  const direction: Direction = buf[1] & REPLY_BIT ? 'reply' : 'command';
  const address = buf[1] & 0x7f;
  if (options.direction !== undefined && direction !== options.direction) {
    return { kind: 'not-for-us', consumed: length, address, reason: 'wrong direction' };
  }
  if (options.addresses && address !== BROADCAST_ADDRESS && !options.addresses.has(address)) {
    return { kind: 'not-for-us', consumed: length, address, reason: 'other address' };
  }

  let at = HEADER_LENGTH;
  let security: SecurityBlock | undefined;
  if (hasScb) {
    const scbLength = buf[at];
    if (scbLength < 2 || at + scbLength + 1 > checkAt) {
      return { kind: 'malformed', consumed: length, reason: `security block length ${scbLength} does not fit` };
    }
    security = { type: buf[at + 1], data: Buffer.from(buf.subarray(at + 2, at + scbLength)) };
    at += scbLength;
  }
  const code = buf[at++];
  let dataEnd = checkAt;
  let mac: Buffer | undefined;
  if (security && carriesMac(security.type)) {
    if (dataEnd - MAC_LENGTH < at) return { kind: 'malformed', consumed: length, reason: 'no room for the MAC' };
    dataEnd -= MAC_LENGTH;
    mac = Buffer.from(buf.subarray(dataEnd, checkAt));
  }
  const raw = Buffer.from(buf.subarray(0, length));
  const packet: DecodedPacket = {
    direction,
    address,
    sequence: (ctrl & CTRL_SQN) as Sequence,
    integrity: checkLength === 2 ? 'crc' : 'checksum',
    code,
    data: raw.subarray(at, dataEnd),
    raw,
  };
  if (security) packet.security = security;
  if (mac) packet.mac = mac;
  return { kind: 'ok', consumed: length, packet };
}

export type OpenResult = { ok: true; data: Buffer } | { ok: false; reason: 'no MAC' | 'bad MAC' | 'bad padding' };

/**
 * Verifies the MAC of a received secure packet and decrypts its DATA (MAC first, then decrypt, as
 * the receiver must; Annex D). A packet without a MAC-carrying block is refused: under an
 * established secure channel a plain packet is a protocol error the caller answers (NAK 6).
 */
export function openPacket(packet: DecodedPacket, security: PacketSecurity): OpenResult {
  if (!packet.security || !carriesMac(packet.security.type) || !packet.mac) return { ok: false, reason: 'no MAC' };
  const checkLength = packet.integrity === 'crc' ? 2 : 1;
  const input = packet.raw.subarray(0, packet.raw.length - checkLength - MAC_LENGTH);
  if (!security.verify(packet.direction, input, packet.mac)) return { ok: false, reason: 'bad MAC' };
  if (!isEncrypted(packet.security.type) || packet.data.length === 0) return { ok: true, data: packet.data };
  const plain = security.decrypt(packet.direction, packet.data);
  return plain ? { ok: true, data: Buffer.from(plain) } : { ok: false, reason: 'bad padding' };
}
