// OSDP v2.2 Annex D data block encryption (SCB types 0x17 for commands, 0x18 for replies): only
// the DATA field after the command/reply code is encrypted, with AES-128-CBC under S-ENC.
//
// node:crypto's AES-128-CBC with its own padding turned off: OSDP pads with 0x80 then zeros (not
// PKCS#7), so the padding is done here (see keys.ts for why no library). Cross-checked against
// libosdp src/osdp_sc.c osdp_encrypt_data / osdp_decrypt_data and, in cipher.spec.ts, against the
// OpenSSL command line.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AES_BLOCK, expectLength, KEY_LENGTH } from './keys.js';

export type DataBlockErrorCode =
  /** The ciphertext is empty or not a whole number of AES blocks. */
  | 'bad_length'
  /** The decrypted data does not end in 0x80 followed by at most 15 zero bytes. */
  | 'bad_padding';

/**
 * A data block that cannot be decrypted. With a correct MAC this means the sender is broken or has
 * other keys, so the caller ends the secure session. The message never carries the data (it may
 * hold a card number or PIN keys).
 */
export class OsdpDataBlockError extends Error {
  override readonly name = 'OsdpDataBlockError';
  constructor(
    readonly code: DataBlockErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Annex D: the IV is the bitwise complement of the last MAC of the other direction. */
export function dataIv(lastMac: Uint8Array): Buffer {
  expectLength('last MAC', lastMac, AES_BLOCK);
  return Buffer.from(lastMac.map((byte) => ~byte & 0xff));
}

/** 0x80 then zeros to the next block boundary, always (a whole block of padding when aligned). */
export function padData(plaintext: Uint8Array): Buffer {
  const padded = Buffer.alloc((Math.floor(plaintext.length / AES_BLOCK) + 1) * AES_BLOCK);
  padded.set(plaintext, 0);
  padded[plaintext.length] = 0x80;
  return padded;
}

/**
 * Removes the 0x80/zeros padding strictly: the marker must sit in the last block, so a block of
 * trailing zeros or a missing marker is refused rather than silently trimmed.
 */
export function unpadData(padded: Uint8Array): Buffer {
  let end = padded.length - 1;
  const lastBlockStart = padded.length - AES_BLOCK;
  while (end >= lastBlockStart && end >= 0 && padded[end] === 0x00) end--;
  if (end < lastBlockStart || end < 0 || padded[end] !== 0x80) {
    throw new OsdpDataBlockError('bad_padding', 'OSDP secure channel: decrypted data block has no valid end-of-message padding');
  }
  return Buffer.from(padded.subarray(0, end));
}

/**
 * Encrypts a command's or reply's DATA field. `lastMac` is the last R-MAC for a command and the
 * last C-MAC for a reply (MacChain.cipherMac), read before the packet is MACed.
 */
export function encryptData(sEnc: Uint8Array, lastMac: Uint8Array, plaintext: Uint8Array): Buffer {
  expectLength('S-ENC', sEnc, KEY_LENGTH);
  const cipher = createCipheriv('aes-128-cbc', sEnc, dataIv(lastMac)).setAutoPadding(false);
  return Buffer.concat([cipher.update(padData(plaintext)), cipher.final()]);
}

/**
 * Decrypts a DATA field, after its packet's MAC has been verified. An empty data block is refused:
 * a message without data is sent as MAC-only (SCB type 0x15/0x16), not encrypted.
 */
export function decryptData(sEnc: Uint8Array, lastMac: Uint8Array, ciphertext: Uint8Array): Buffer {
  expectLength('S-ENC', sEnc, KEY_LENGTH);
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK !== 0) {
    throw new OsdpDataBlockError('bad_length', `OSDP secure channel: encrypted data block of ${ciphertext.length} bytes is not whole AES blocks`);
  }
  const decipher = createDecipheriv('aes-128-cbc', sEnc, dataIv(lastMac)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  try {
    return unpadData(padded);
  } finally {
    padded.fill(0);
  }
}
