import { commandContent, encodePacket, PACKET_SIZES, Pid } from './fingerprint.codec.js';
import type { CommandName, ModelProfile } from './model-profile.js';

/**
 * Command builders and reply parsers: pure functions between typed values and packet content.
 * Timing, retries and the wire live in the device class.
 */

export type CommandParam = number | Buffer;

export class UnsupportedCommandError extends Error {
  constructor(
    readonly command: CommandName,
    readonly model: string,
  ) {
    super(`${command} is not supported by model ${model}`);
  }
}

export function opcodeOf(profile: ModelProfile, command: CommandName): number {
  const op = profile.opcodes[command];
  if (op === undefined) throw new UnsupportedCommandError(command, profile.name);
  return op;
}

/** Command content for the profile: its opcode then the parameters (docs/r503-protocol.md §Instruction set). */
export function buildCommand(profile: ModelProfile, command: CommandName, ...params: CommandParam[]): Buffer {
  return commandContent(opcodeOf(profile, command), ...params);
}

/** A complete command frame, e.g. GenImg at FFFFFFFF = `EF 01 FF FF FF FF 01 00 03 01 00 05`. */
export function encodeCommand(profile: ModelProfile, address: number, command: CommandName, ...params: CommandParam[]): Buffer {
  return encodePacket({ address, pid: Pid.Command, content: buildCommand(profile, command, ...params) });
}

/** Result bytes after the confirmation code, per command, on success (docs/r503-protocol.md §Instruction set). */
export const REPLY_RESULT_LENGTH: Partial<Record<CommandName, number>> = {
  Match: 2,
  Search: 4,
  HiSpeedSearch: 4,
  ReadSysPara: 16,
  GetRandomCode: 4,
  ReadNotepad: 32,
  TemplateNum: 2,
  ReadIndexTable: 32,
  ReadProdInfo: 46,
};

/** ReadSysPara: 8 big-endian words (docs/r503-protocol.md §System parameters). */
export interface SystemParameters {
  statusRegister: number;
  systemId: number;
  /** Library capacity: number of template slots. Always read, never assume. */
  capacity: number;
  securityLevel: number;
  address: number;
  packetSizeCode: number;
  /** Data packet content size in bytes (32/64/128/256). */
  packetSize: number;
  baudRate: number;
}

export function parseSystemParameters(data: Buffer): SystemParameters {
  if (data.length < 16) throw new RangeError(`ReadSysPara returned ${data.length} bytes, expected 16`);
  const packetSizeCode = data.readUInt16BE(12);
  const packetSize = PACKET_SIZES[packetSizeCode];
  if (packetSize === undefined) throw new RangeError(`ReadSysPara packet size code ${packetSizeCode} is not 0..3`);
  return {
    statusRegister: data.readUInt16BE(0),
    systemId: data.readUInt16BE(2),
    capacity: data.readUInt16BE(4),
    securityLevel: data.readUInt16BE(6),
    address: data.readUInt32BE(8),
    packetSizeCode,
    packetSize,
    baudRate: 9600 * data.readUInt16BE(14),
  };
}

export function encodeSystemParameters(p: Omit<SystemParameters, 'packetSize'>): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(p.statusRegister, 0);
  b.writeUInt16BE(p.systemId, 2);
  b.writeUInt16BE(p.capacity, 4);
  b.writeUInt16BE(p.securityLevel, 6);
  b.writeUInt32BE(p.address >>> 0, 8);
  b.writeUInt16BE(p.packetSizeCode, 12);
  b.writeUInt16BE(Math.round(p.baudRate / 9600), 14);
  return b;
}

/** R503 ReadProdInfo: 46 bytes (docs/r503-protocol.md §Product information). */
export interface ProductInfo {
  model: string;
  batch: string;
  serialNumber: string;
  hardwareVersion: number;
  sensorModel: string;
  sensorWidth: number;
  sensorHeight: number;
  templateSize: number;
  databaseSize: number;
}

function ascii(b: Buffer): string {
  return b.toString('latin1').replace(/[\0\s]+$/g, '');
}

function fixed(text: string, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.write(text.slice(0, length), 'latin1');
  return b;
}

export function parseProductInfo(data: Buffer): ProductInfo {
  if (data.length < 46) throw new RangeError(`ReadProdInfo returned ${data.length} bytes, expected 46`);
  return {
    model: ascii(data.subarray(0, 16)),
    batch: ascii(data.subarray(16, 20)),
    serialNumber: ascii(data.subarray(20, 28)),
    hardwareVersion: data.readUInt16BE(28),
    sensorModel: ascii(data.subarray(30, 38)),
    sensorWidth: data.readUInt16BE(38),
    sensorHeight: data.readUInt16BE(40),
    templateSize: data.readUInt16BE(42),
    databaseSize: data.readUInt16BE(44),
  };
}

export function encodeProductInfo(p: ProductInfo): Buffer {
  const b = Buffer.alloc(46);
  fixed(p.model, 16).copy(b, 0);
  fixed(p.batch, 4).copy(b, 16);
  fixed(p.serialNumber, 8).copy(b, 20);
  b.writeUInt16BE(p.hardwareVersion, 28);
  fixed(p.sensorModel, 8).copy(b, 30);
  b.writeUInt16BE(p.sensorWidth, 38);
  b.writeUInt16BE(p.sensorHeight, 40);
  b.writeUInt16BE(p.templateSize, 42);
  b.writeUInt16BE(p.databaseSize, 44);
  return b;
}

/**
 * ReadIndexTable page p: byte i, bit j (LSB first) set ⇒ slot p*256 + 8i + j holds a template
 * (docs/r503-protocol.md §Index table).
 */
export function parseIndexTable(page: number, bitmap: Buffer): number[] {
  const ids: number[] = [];
  for (let i = 0; i < Math.min(bitmap.length, 32); i++) {
    for (let j = 0; j < 8; j++) if (bitmap[i] & (1 << j)) ids.push(page * 256 + i * 8 + j);
  }
  return ids;
}

export function encodeIndexTable(page: number, occupied: Iterable<number>): Buffer {
  const b = Buffer.alloc(32);
  for (const id of occupied) {
    const rel = id - page * 256;
    if (rel >= 0 && rel < 256) b[rel >> 3] |= 1 << (rel & 7);
  }
  return b;
}

/** R503 Aura LED ring (docs/r503-protocol.md §Aura LED ring). */
export enum AuraControl {
  Breathing = 1,
  Flashing = 2,
  On = 3,
  Off = 4,
  FadeOn = 5,
  FadeOff = 6,
}

export enum AuraColour {
  Red = 1,
  Blue = 2,
  Purple = 3,
  Green = 4,
  Yellow = 5,
  Cyan = 6,
  White = 7,
}

/** SetSysPara register numbers (docs/r503-protocol.md §System parameters). */
export enum SysParaRegister {
  BaudRate = 4,
  SecurityLevel = 5,
  PacketSize = 6,
}
