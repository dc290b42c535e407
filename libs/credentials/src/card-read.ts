import { DomainError } from '@acs/http';

/**
 * A card as a reader reports it (OSDP osdp_RAW: format byte, bit count, data; docs/osdp.md).
 * Independent of @acs/osdp so the credential store also serves other readers (e.g. Wiegand
 * through a controller) and tests need no packets.
 */
export const CARD_FORMATS = ['unspecified', 'wiegand'] as const;
export type CardFormat = (typeof CARD_FORMATS)[number];

export interface CardRead {
  format: CardFormat;
  bitCount: number;
  /** Left-justified: the first bit is the MSB of the first byte; unused low bits of the last byte are ignored. */
  data: Buffer;
}

/** Shortest and longest card we accept: 26-bit H10301 is the smallest common format; 256 bits covers long UIDs and FASC-N-style reads. */
export const CARD_BITS = { min: 8, max: 256 } as const;

/** Refuses a malformed read; the message names sizes only, never the bits. */
export function checkCardRead(read: CardRead): void {
  const { bitCount, data } = read;
  if (!(CARD_FORMATS as readonly string[]).includes(read.format)) throw new DomainError('credentials.invalid_card_read', 'unknown card format');
  if (!Number.isInteger(bitCount) || bitCount < CARD_BITS.min || bitCount > CARD_BITS.max) {
    throw new DomainError('credentials.invalid_card_read', `card bit count must be ${CARD_BITS.min}..${CARD_BITS.max}`);
  }
  if (!Buffer.isBuffer(data) || data.length !== Math.ceil(bitCount / 8)) {
    throw new DomainError('credentials.invalid_card_read', 'card data length does not match its bit count');
  }
}

/**
 * The bytes the blind index is computed over: bit count (2 bytes, big-endian) then the data
 * with unused low bits cleared, so two reads of one card hash alike whatever a reader left in
 * the padding. The format byte is left out on purpose: it is the reader's interpretation, and
 * one card read by a reader set to `wiegand` and one set to `unspecified` is still one card.
 */
export function canonicalCardBytes(read: CardRead): Buffer {
  checkCardRead(read);
  const data = Buffer.from(read.data);
  const spare = data.length * 8 - read.bitCount;
  if (spare > 0) data[data.length - 1]! &= 0xff << spare;
  const out = Buffer.alloc(2 + data.length);
  out.writeUInt16BE(read.bitCount, 0);
  data.copy(out, 2);
  return out;
}

function bitsValue(read: CardRead, from: number, count: number): bigint {
  let v = 0n;
  for (let i = from; i < from + count; i++) v = (v << 1n) | BigInt((read.data[i >> 3]! >> (7 - (i & 7))) & 1);
  return v;
}

/**
 * The last two decimal digits of the number printed on the card: for a 26-bit Wiegand read
 * (H10301: even parity, 8-bit facility code, 16-bit card number, odd parity) the 16-bit card
 * number, otherwise the whole bit string read as one number. Two digits tell a person's cards
 * apart at the desk; they narrow a 16-bit card number to about 655 candidates (2^26 to about
 * 670,000 for a whole read), which does not let anyone clone or look up a card, and unlike a
 * longer suffix they do not match the card to its number in another system.
 */
export function cardHint(read: CardRead): string {
  checkCardRead(read);
  const n = read.bitCount === 26 ? bitsValue(read, 9, 16) : bitsValue(read, 0, read.bitCount);
  return (n % 100n).toString().padStart(2, '0');
}
