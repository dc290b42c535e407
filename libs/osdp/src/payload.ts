/**
 * Shared pieces of the command and reply codecs: the typed decode error, the result type, and
 * bounds-checked field helpers. Decoders never throw on wire input; they return an
 * {@link OsdpPayloadError} in the result instead.
 */
import { OsdpEncodeError } from './packet.js';

/**
 * Why a payload was refused. For a command, `length` and `unknown` map to NAK codes 2 and 3 and
 * `value` to NAK 9 (unable to process the record) when a PD answers it.
 */
export type PayloadErrorReason = 'length' | 'value' | 'unknown';

/** A command or reply DATA field that does not match its layout. The message names no data values. */
export class OsdpPayloadError extends Error {
  override readonly name = 'OsdpPayloadError';
  constructor(
    /** The message's name, e.g. `osdp_LED`. */
    readonly messageName: string,
    readonly code: number,
    readonly reason: PayloadErrorReason,
    detail: string,
  ) {
    super(`${messageName} (0x${code.toString(16).padStart(2, '0')}): ${detail}`);
  }
}

export type DecodeOutcome<T> = { ok: true; value: T } | { ok: false; error: OsdpPayloadError };

export function ok<T>(value: T): DecodeOutcome<T> {
  return { ok: true, value };
}

export function fail<T>(name: string, code: number, reason: PayloadErrorReason, detail: string): DecodeOutcome<T> {
  return { ok: false, error: new OsdpPayloadError(name, code, reason, detail) };
}

/** Checks a value an encoder is about to write into a byte field. */
export function byte(value: number, what: string, max = 0xff, min = 0): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new OsdpEncodeError(`${what} must be an integer ${min}..${max}, got ${value}`);
  return value;
}

export function exactBytes(value: Uint8Array, length: number, what: string): Buffer {
  if (value.length !== length) throw new OsdpEncodeError(`${what} must be ${length} bytes, got ${value.length}`);
  return Buffer.from(value);
}

/** Baud rates OSDP v2.2 §4 (physical interface) allows on the bus. */
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400] as const;
