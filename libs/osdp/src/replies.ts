/**
 * PD → ACU reply payloads (OSDP v2.2 / IEC 60839-11-5 §7, "Replies"; one section per reply, cited
 * by the reply's name). Each layout was cross-checked against libosdp's reply builder
 * (`pd_build_reply`, src/osdp_pd.c) and decoder (`cp_decode_response`, src/osdp_cp.c); where the
 * two differ from each other or from the spec, docs/osdp.md §Replies says which we follow.
 * Card data and keypad digits are personal data: no error message here ever contains them.
 */
import { byte, exactBytes, fail, ok, type DecodeOutcome } from './payload.js';
import { BROADCAST_ADDRESS, OsdpEncodeError } from './packet.js';

export enum ReplyCode {
  ACK = 0x40,
  NAK = 0x41,
  PDID = 0x45,
  PDCAP = 0x46,
  LSTATR = 0x48,
  ISTATR = 0x49,
  OSTATR = 0x4a,
  RSTATR = 0x4b,
  RAW = 0x50,
  FMT = 0x51,
  KEYPAD = 0x53,
  COM = 0x54,
  CCRYPT = 0x76,
  RMAC_I = 0x78,
  BUSY = 0x79,
  MFGREP = 0x90,
}

/** osdp_NAK error codes (OSDP v2.2 §7, osdp_NAK; libosdp `osdp_pd_nak_code_e`). */
export enum NakCode {
  /** Message check character(s) wrong (the ACU may fall back from CRC to checksum). */
  CheckCharacter = 1,
  CommandLength = 2,
  UnknownCommand = 3,
  SequenceNumber = 4,
  SecureChannelUnsupported = 5,
  /** Security block or encryption condition not met (e.g. plain packet when secure is required). */
  SecurityCondition = 6,
  BioTypeUnsupported = 7,
  BioFormatUnsupported = 8,
  UnableToProcess = 9,
}

/** Card data formats of osdp_RAW. */
export enum RawFormat {
  Unspecified = 0,
  Wiegand = 1,
}

/** One PDCAP entry: function code (1 contact monitoring … 16 OSDP version), compliance level, count. */
export interface Capability {
  function: number;
  compliance: number;
  count: number;
}

export type Reply =
  | { kind: 'ACK' }
  /** `detail`: bytes after the error code (the spec allows more; libosdp sends none). */
  | { kind: 'NAK'; error: number; detail: Buffer }
  /** `vendorCode`: the IEEE OUI as its 3 wire bytes; `serialNumber` little-endian; firmware major.minor.build. */
  | { kind: 'PDID'; vendorCode: Buffer; model: number; version: number; serialNumber: number; firmware: [number, number, number] }
  | { kind: 'PDCAP'; capabilities: Capability[] }
  /** 0 normal, 1 tamper / 1 power failure. */
  | { kind: 'LSTATR'; tamper: number; power: number }
  /** `data` holds ceil(bitCount / 8) bytes, first bit in the most significant bit of byte 0. */
  | { kind: 'RAW'; reader: number; format: number; bitCount: number; data: Buffer }
  /** Deprecated since v2.2.2; `direction` 0 forward, 1 reverse read. */
  | { kind: 'FMT'; reader: number; direction: number; text: Buffer }
  | { kind: 'KEYPAD'; reader: number; keys: Buffer }
  | { kind: 'COM'; address: number; baudRate: number }
  | { kind: 'BUSY' }
  /** Sent with security block type 0x12: the PD's client UID, RND.B and client cryptogram. */
  | { kind: 'CCRYPT'; clientUid: Buffer; rndB: Buffer; cryptogram: Buffer }
  /** Sent with security block type 0x14: the initial R-MAC (16 bytes). */
  | { kind: 'RMAC_I'; rmac: Buffer };

export type ReplyKind = Reply['kind'];

const PDCAP_ENTRY = 3;
const RAW_HEADER = 4;
const FMT_HEADER = 3;
const KEYPAD_HEADER = 2;

/** The code and DATA of a reply, ready for {@link encodePacket}. Throws OsdpEncodeError on values that cannot be sent. */
export function encodeReply(reply: Reply): { code: ReplyCode; data: Buffer } {
  switch (reply.kind) {
    case 'ACK':
      return { code: ReplyCode.ACK, data: Buffer.alloc(0) };
    case 'BUSY':
      return { code: ReplyCode.BUSY, data: Buffer.alloc(0) };
    case 'NAK':
      return { code: ReplyCode.NAK, data: Buffer.concat([Buffer.from([byte(reply.error, 'error')]), reply.detail]) };
    case 'PDID': {
      const out = Buffer.alloc(12);
      exactBytes(reply.vendorCode, 3, 'vendorCode').copy(out, 0);
      out[3] = byte(reply.model, 'model');
      out[4] = byte(reply.version, 'version');
      out.writeUInt32LE(byte(reply.serialNumber, 'serialNumber', 0xffffffff), 5);
      reply.firmware.forEach((v, i) => (out[9 + i] = byte(v, 'firmware')));
      return { code: ReplyCode.PDID, data: out };
    }
    case 'PDCAP':
      return {
        code: ReplyCode.PDCAP,
        data: Buffer.from(reply.capabilities.flatMap((c) => [byte(c.function, 'function'), byte(c.compliance, 'compliance'), byte(c.count, 'count')])),
      };
    case 'LSTATR':
      return { code: ReplyCode.LSTATR, data: Buffer.from([byte(reply.tamper, 'tamper'), byte(reply.power, 'power')]) };
    case 'RAW': {
      const bytes = Math.ceil(reply.bitCount / 8);
      byte(reply.bitCount, 'bitCount', 0xffff);
      if (reply.data.length !== bytes) throw new OsdpEncodeError(`card data must be ${bytes} bytes for ${reply.bitCount} bits`);
      const head = Buffer.from([byte(reply.reader, 'reader'), byte(reply.format, 'format'), 0, 0]);
      head.writeUInt16LE(reply.bitCount, 2);
      return { code: ReplyCode.RAW, data: Buffer.concat([head, reply.data]) };
    }
    case 'FMT':
      return {
        code: ReplyCode.FMT,
        data: Buffer.concat([
          Buffer.from([byte(reply.reader, 'reader'), byte(reply.direction, 'direction', 1), byte(reply.text.length, 'text length')]),
          reply.text,
        ]),
      };
    case 'KEYPAD':
      return { code: ReplyCode.KEYPAD, data: Buffer.concat([Buffer.from([byte(reply.reader, 'reader'), byte(reply.keys.length, 'key count')]), reply.keys]) };
    case 'COM': {
      const out = Buffer.alloc(5);
      out[0] = byte(reply.address, 'address', BROADCAST_ADDRESS - 1);
      out.writeUInt32LE(byte(reply.baudRate, 'baudRate', 0xffffffff), 1);
      return { code: ReplyCode.COM, data: out };
    }
    case 'CCRYPT':
      return {
        code: ReplyCode.CCRYPT,
        data: Buffer.concat([
          exactBytes(reply.clientUid, 8, 'client UID'),
          exactBytes(reply.rndB, 8, 'RND.B'),
          exactBytes(reply.cryptogram, 16, 'client cryptogram'),
        ]),
      };
    case 'RMAC_I':
      return { code: ReplyCode.RMAC_I, data: exactBytes(reply.rmac, 16, 'initial R-MAC') };
  }
}

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ReplyCode)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, `osdp_${k}`]),
);

/** `osdp_RAW` for 0x50; `reply 0xNN` for codes this lib does not name. */
export function replyName(code: number): string {
  return NAMES[code] ?? `reply 0x${code.toString(16).padStart(2, '0')}`;
}

/** Decodes a reply's DATA. Never throws: a layout mismatch is an OsdpPayloadError in the result. */
export function decodeReply(code: number, data: Buffer): DecodeOutcome<Reply> {
  const name = replyName(code);
  const exact = (n: number) => (data.length === n ? undefined : `DATA is ${data.length} bytes, expected ${n}`);
  const atLeast = (n: number) => (data.length >= n ? undefined : `DATA is ${data.length} bytes, shorter than ${n}`);
  switch (code) {
    case ReplyCode.ACK:
    case ReplyCode.BUSY: {
      const wrong = exact(0);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok(code === ReplyCode.ACK ? { kind: 'ACK' } : { kind: 'BUSY' });
    }
    case ReplyCode.NAK: {
      const wrong = atLeast(1);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'NAK', error: data[0], detail: Buffer.from(data.subarray(1)) });
    }
    case ReplyCode.PDID: {
      const wrong = exact(12);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({
        kind: 'PDID',
        vendorCode: Buffer.from(data.subarray(0, 3)),
        model: data[3],
        version: data[4],
        serialNumber: data.readUInt32LE(5),
        firmware: [data[9], data[10], data[11]],
      });
    }
    case ReplyCode.PDCAP: {
      if (data.length % PDCAP_ENTRY !== 0) return fail(name, code, 'length', `DATA is ${data.length} bytes, not a multiple of ${PDCAP_ENTRY}`);
      const capabilities: Capability[] = [];
      for (let at = 0; at < data.length; at += PDCAP_ENTRY) capabilities.push({ function: data[at], compliance: data[at + 1], count: data[at + 2] });
      return ok({ kind: 'PDCAP', capabilities });
    }
    case ReplyCode.LSTATR: {
      const wrong = exact(2);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'LSTATR', tamper: data[0], power: data[1] });
    }
    case ReplyCode.RAW: {
      const wrong = atLeast(RAW_HEADER);
      if (wrong) return fail(name, code, 'length', wrong);
      const bitCount = data.readUInt16LE(2);
      const bytes = Math.ceil(bitCount / 8);
      if (data.length !== RAW_HEADER + bytes) return fail(name, code, 'length', `${bitCount} bits need ${bytes} bytes, got ${data.length - RAW_HEADER}`);
      return ok({ kind: 'RAW', reader: data[0], format: data[1], bitCount, data: Buffer.from(data.subarray(RAW_HEADER)) });
    }
    case ReplyCode.FMT: {
      const wrong = atLeast(FMT_HEADER);
      if (wrong) return fail(name, code, 'length', wrong);
      if (data.length !== FMT_HEADER + data[2])
        return fail(name, code, 'length', `character count ${data[2]} does not match ${data.length - FMT_HEADER} bytes`);
      return ok({ kind: 'FMT', reader: data[0], direction: data[1], text: Buffer.from(data.subarray(FMT_HEADER)) });
    }
    case ReplyCode.KEYPAD: {
      const wrong = atLeast(KEYPAD_HEADER);
      if (wrong) return fail(name, code, 'length', wrong);
      if (data.length !== KEYPAD_HEADER + data[1])
        return fail(name, code, 'length', `digit count ${data[1]} does not match ${data.length - KEYPAD_HEADER} bytes`);
      return ok({ kind: 'KEYPAD', reader: data[0], keys: Buffer.from(data.subarray(KEYPAD_HEADER)) });
    }
    case ReplyCode.COM: {
      const wrong = exact(5);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'COM', address: data[0], baudRate: data.readUInt32LE(1) });
    }
    case ReplyCode.CCRYPT: {
      const wrong = exact(32);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({
        kind: 'CCRYPT',
        clientUid: Buffer.from(data.subarray(0, 8)),
        rndB: Buffer.from(data.subarray(8, 16)),
        cryptogram: Buffer.from(data.subarray(16)),
      });
    }
    case ReplyCode.RMAC_I: {
      const wrong = exact(16);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'RMAC_I', rmac: Buffer.from(data) });
    }
    default:
      return fail(name, code, 'unknown', 'no codec for this reply');
  }
}
