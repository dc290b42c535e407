/**
 * ACU → PD command payloads (OSDP v2.2 / IEC 60839-11-5 §6, "Commands"; one section per command,
 * cited by the command's name). Each layout was cross-checked against libosdp's command builder
 * (`cp_build_command`, src/osdp_cp.c) and decoder (`pd_decode_command`, src/osdp_pd.c); where
 * libosdp is more lenient, docs/osdp.md §Commands says so. Multi-byte fields are little-endian.
 */
import { byte, BAUD_RATES, exactBytes, fail, ok, type DecodeOutcome } from './payload.js';
import { BROADCAST_ADDRESS, OsdpEncodeError } from './packet.js';

export enum CommandCode {
  POLL = 0x60,
  ID = 0x61,
  CAP = 0x62,
  LSTAT = 0x64,
  ISTAT = 0x65,
  OSTAT = 0x66,
  RSTAT = 0x67,
  OUT = 0x68,
  LED = 0x69,
  BUZ = 0x6a,
  TEXT = 0x6b,
  COMSET = 0x6e,
  KEYSET = 0x75,
  CHLNG = 0x76,
  SCRYPT = 0x77,
  ACURXSIZE = 0x7b,
  MFG = 0x80,
  KEEPACTIVE = 0xa7,
}

/** LED colours (osdp_LED). */
export enum LedColour {
  Black = 0,
  Red = 1,
  Green = 2,
  Amber = 3,
  Blue = 4,
  Magenta = 5,
  Cyan = 6,
  White = 7,
}

/** One LED state: on/off times in units of 100 ms. */
export interface LedState {
  /** Temporary: 0 no change, 1 cancel, 2 set and start the timer. Permanent: 0 no change, 1 set. */
  control: number;
  onTime: number;
  offTime: number;
  onColour: number;
  offColour: number;
}

/** One 14-byte LED record; a command may carry several. */
export interface LedRecord {
  reader: number;
  led: number;
  /** `timer` is the temporary state's duration in units of 100 ms. */
  temporary: LedState & { timer: number };
  permanent: LedState;
}

/** One 5-byte buzzer record; times in units of 100 ms, `count` 0 = until told otherwise. */
export interface BuzzerRecord {
  reader: number;
  /** 0 no tone (deprecated), 1 off, 2 default tone. */
  tone: number;
  onTime: number;
  offTime: number;
  count: number;
}

/** osdp_TEXT commands: permanent or temporary, with or without wrap. */
export enum TextCommand {
  PermanentNoWrap = 1,
  PermanentWrap = 2,
  TemporaryNoWrap = 3,
  TemporaryWrap = 4,
}

export type Command =
  | { kind: 'POLL' }
  /** `replyType` 0x00: the standard PDID report. */
  | { kind: 'ID'; replyType: number }
  | { kind: 'CAP'; replyType: number }
  | { kind: 'LSTAT' }
  | { kind: 'LED'; records: LedRecord[] }
  | { kind: 'BUZ'; records: BuzzerRecord[] }
  | { kind: 'TEXT'; reader: number; command: number; temporarySeconds: number; row: number; column: number; text: Buffer }
  /** The address and baud rate the PD uses after it has answered (with osdp_COM). */
  | { kind: 'COMSET'; address: number; baudRate: number }
  /** `keyType` 1: the secure channel base key (SCBK), 16 bytes. */
  | { kind: 'KEYSET'; keyType: number; key: Buffer }
  /** RND.A, the ACU's 8-byte random challenge (sent with security block type 0x11). */
  | { kind: 'CHLNG'; rndA: Buffer }
  /** The server cryptogram (sent with security block type 0x13). */
  | { kind: 'SCRYPT'; cryptogram: Buffer };

export type CommandKind = Command['kind'];

const LED_RECORD = 14;
const BUZ_RECORD = 5;
const TEXT_HEADER = 6;
const KEYSET_HEADER = 2;

function ledState(s: LedState, what: string): number[] {
  return [
    byte(s.control, `${what}.control`),
    byte(s.onTime, `${what}.onTime`),
    byte(s.offTime, `${what}.offTime`),
    byte(s.onColour, `${what}.onColour`),
    byte(s.offColour, `${what}.offColour`),
  ];
}

/** The code and DATA of a command, ready for {@link encodePacket}. Throws OsdpEncodeError on values that cannot be sent. */
export function encodeCommand(command: Command): { code: CommandCode; data: Buffer } {
  switch (command.kind) {
    case 'POLL':
      return { code: CommandCode.POLL, data: Buffer.alloc(0) };
    case 'LSTAT':
      return { code: CommandCode.LSTAT, data: Buffer.alloc(0) };
    case 'ID':
      return { code: CommandCode.ID, data: Buffer.from([byte(command.replyType, 'replyType')]) };
    case 'CAP':
      return { code: CommandCode.CAP, data: Buffer.from([byte(command.replyType, 'replyType')]) };
    case 'LED': {
      if (command.records.length === 0) throw new OsdpEncodeError('osdp_LED needs at least one record');
      const out = Buffer.alloc(command.records.length * LED_RECORD);
      command.records.forEach((r, i) => {
        const at = i * LED_RECORD;
        out.set([byte(r.reader, 'reader'), byte(r.led, 'led'), ...ledState(r.temporary, 'temporary')], at);
        out.writeUInt16LE(byte(r.temporary.timer, 'temporary.timer', 0xffff), at + 7);
        out.set(ledState(r.permanent, 'permanent'), at + 9);
      });
      return { code: CommandCode.LED, data: out };
    }
    case 'BUZ': {
      if (command.records.length === 0) throw new OsdpEncodeError('osdp_BUZ needs at least one record');
      const bytes = command.records.flatMap((r) => [
        byte(r.reader, 'reader'),
        byte(r.tone, 'tone'),
        byte(r.onTime, 'onTime'),
        byte(r.offTime, 'offTime'),
        byte(r.count, 'count'),
      ]);
      return { code: CommandCode.BUZ, data: Buffer.from(bytes) };
    }
    case 'TEXT': {
      const head = [
        byte(command.reader, 'reader'),
        byte(command.command, 'command', TextCommand.TemporaryWrap, TextCommand.PermanentNoWrap),
        byte(command.temporarySeconds, 'temporarySeconds'),
        byte(command.row, 'row'),
        byte(command.column, 'column'),
        byte(command.text.length, 'text length'),
      ];
      return { code: CommandCode.TEXT, data: Buffer.concat([Buffer.from(head), command.text]) };
    }
    case 'COMSET': {
      const out = Buffer.alloc(5);
      out[0] = byte(command.address, 'address', BROADCAST_ADDRESS - 1);
      if (!(BAUD_RATES as readonly number[]).includes(command.baudRate)) throw new OsdpEncodeError(`baud rate must be one of ${BAUD_RATES.join(', ')}`);
      out.writeUInt32LE(command.baudRate, 1);
      return { code: CommandCode.COMSET, data: out };
    }
    case 'KEYSET': {
      // The key itself never appears in an error message.
      if (command.key.length === 0 || command.key.length > 0xff) throw new OsdpEncodeError('osdp_KEYSET key must be 1..255 bytes');
      return { code: CommandCode.KEYSET, data: Buffer.concat([Buffer.from([byte(command.keyType, 'keyType'), command.key.length]), command.key]) };
    }
    case 'CHLNG':
      return { code: CommandCode.CHLNG, data: exactBytes(command.rndA, 8, 'RND.A') };
    case 'SCRYPT':
      return { code: CommandCode.SCRYPT, data: exactBytes(command.cryptogram, 16, 'server cryptogram') };
  }
}

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(CommandCode)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, `osdp_${k}`]),
);

/** `osdp_LED` for 0x69; `command 0xNN` for codes this lib does not name. */
export function commandName(code: number): string {
  return NAMES[code] ?? `command 0x${code.toString(16).padStart(2, '0')}`;
}

function readLedState(d: Buffer, at: number): LedState {
  return { control: d[at], onTime: d[at + 1], offTime: d[at + 2], onColour: d[at + 3], offColour: d[at + 4] };
}

/** Decodes a command's DATA. Never throws: a layout mismatch is an OsdpPayloadError in the result. */
export function decodeCommand(code: number, data: Buffer): DecodeOutcome<Command> {
  const name = commandName(code);
  const exact = (n: number) => (data.length === n ? undefined : `DATA is ${data.length} bytes, expected ${n}`);
  switch (code) {
    case CommandCode.POLL:
    case CommandCode.LSTAT: {
      const wrong = exact(0);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok(code === CommandCode.POLL ? { kind: 'POLL' } : { kind: 'LSTAT' });
    }
    case CommandCode.ID:
    case CommandCode.CAP: {
      const wrong = exact(1);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: code === CommandCode.ID ? 'ID' : 'CAP', replyType: data[0] });
    }
    case CommandCode.LED: {
      if (data.length === 0 || data.length % LED_RECORD !== 0)
        return fail(name, code, 'length', `DATA is ${data.length} bytes, not a positive multiple of ${LED_RECORD}`);
      const records: LedRecord[] = [];
      for (let at = 0; at < data.length; at += LED_RECORD) {
        records.push({
          reader: data[at],
          led: data[at + 1],
          temporary: { ...readLedState(data, at + 2), timer: data.readUInt16LE(at + 7) },
          permanent: readLedState(data, at + 9),
        });
      }
      return ok({ kind: 'LED', records });
    }
    case CommandCode.BUZ: {
      if (data.length === 0 || data.length % BUZ_RECORD !== 0)
        return fail(name, code, 'length', `DATA is ${data.length} bytes, not a positive multiple of ${BUZ_RECORD}`);
      const records: BuzzerRecord[] = [];
      for (let at = 0; at < data.length; at += BUZ_RECORD) {
        records.push({ reader: data[at], tone: data[at + 1], onTime: data[at + 2], offTime: data[at + 3], count: data[at + 4] });
      }
      return ok({ kind: 'BUZ', records });
    }
    case CommandCode.TEXT: {
      if (data.length < TEXT_HEADER) return fail(name, code, 'length', `DATA is ${data.length} bytes, shorter than the ${TEXT_HEADER}-byte header`);
      const length = data[5];
      if (data.length !== TEXT_HEADER + length) return fail(name, code, 'length', `text length ${length} does not match ${data.length - TEXT_HEADER} bytes`);
      if (data[1] < TextCommand.PermanentNoWrap || data[1] > TextCommand.TemporaryWrap) return fail(name, code, 'value', `text command ${data[1]} is not 1..4`);
      return ok({
        kind: 'TEXT',
        reader: data[0],
        command: data[1],
        temporarySeconds: data[2],
        row: data[3],
        column: data[4],
        text: Buffer.from(data.subarray(TEXT_HEADER)),
      });
    }
    case CommandCode.COMSET: {
      const wrong = exact(5);
      if (wrong) return fail(name, code, 'length', wrong);
      // 0x7F is broadcast and 0x80+ would set the reply bit: no PD can take such an address.
      if (data[0] >= BROADCAST_ADDRESS) return fail(name, code, 'value', `address ${data[0]} is not 0..126`);
      return ok({ kind: 'COMSET', address: data[0], baudRate: data.readUInt32LE(1) });
    }
    case CommandCode.KEYSET: {
      if (data.length < KEYSET_HEADER) return fail(name, code, 'length', `DATA is ${data.length} bytes, shorter than the ${KEYSET_HEADER}-byte header`);
      if (data.length !== KEYSET_HEADER + data[1])
        return fail(name, code, 'length', `key length field ${data[1]} does not match ${data.length - KEYSET_HEADER} bytes`);
      return ok({ kind: 'KEYSET', keyType: data[0], key: Buffer.from(data.subarray(KEYSET_HEADER)) });
    }
    case CommandCode.CHLNG: {
      const wrong = exact(8);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'CHLNG', rndA: Buffer.from(data) });
    }
    case CommandCode.SCRYPT: {
      const wrong = exact(16);
      if (wrong) return fail(name, code, 'length', wrong);
      return ok({ kind: 'SCRYPT', cryptogram: Buffer.from(data) });
    }
    default:
      return fail(name, code, 'unknown', 'no codec for this command');
  }
}
