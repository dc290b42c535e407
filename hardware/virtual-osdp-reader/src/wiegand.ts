/**
 * The 26-bit Wiegand card format H10301 (HID's open "standard 26-bit" format), as the public
 * format descriptions give it (HID Technical Support tech tip #5 "The Standard 26 Bit Format";
 * RF IDeas, "Proximity card formats"): 26 bits, first transmitted first:
 *
 * ```
 *  bit  0      1..8            9..24          25
 *       E   facility code   card number      O
 *           (0..255)        (0..65535)
 * ```
 *
 * E is even parity over bits 0..12 (E plus the first 12 data bits), O is odd parity over bits
 * 13..25 (the last 12 data bits plus O). An osdp_RAW reply carries the bits left-justified: bit 0
 * is the most significant bit of the first byte, and the 6 unused low bits of the 4th byte are 0
 * (docs/osdp.md §Replies, osdp_RAW).
 */
export const WIEGAND26_BITS = 26;

/** The 26 bits of an H10301 card, MSB first, left-justified in 4 bytes. */
export function wiegand26(facilityCode: number, cardNumber: number): Buffer {
  if (!Number.isInteger(facilityCode) || facilityCode < 0 || facilityCode > 0xff) throw new RangeError('facility code must be 0..255');
  // The number itself is personal data: the message names the range only.
  if (!Number.isInteger(cardNumber) || cardNumber < 0 || cardNumber > 0xffff) throw new RangeError('card number must be 0..65535');
  const data = (facilityCode << 16) | cardNumber; // 24 data bits, bits 1..24 of the frame
  const ones = (v: number) =>
    v
      .toString(2)
      .split('')
      .filter((b) => b === '1').length;
  const even = ones(data >>> 12) % 2; // makes the first 13 bits hold an even number of ones
  const odd = 1 - (ones(data & 0xfff) % 2); // makes the last 13 bits hold an odd number of ones
  const frame = (even << 25) | (data << 1) | odd; // 26 bits, bit 0 of the frame is bit 25 here
  const out = Buffer.alloc(4);
  out.writeUInt32BE((frame << 6) >>> 0, 0);
  return out;
}

/** Reads an H10301 frame back (for tests and the status view); undefined when a parity bit is wrong. */
export function parseWiegand26(bits: Buffer): { facilityCode: number; cardNumber: number } | undefined {
  if (bits.length !== 4) return undefined;
  const frame = bits.readUInt32BE(0) >>> 6;
  const data = (frame >>> 1) & 0xffffff;
  const ones = (v: number) =>
    v
      .toString(2)
      .split('')
      .filter((b) => b === '1').length;
  if (ones(frame >>> 13) % 2 !== 0 || ones(frame & 0x1fff) % 2 !== 1) return undefined;
  return { facilityCode: data >>> 16, cardNumber: data & 0xffff };
}
