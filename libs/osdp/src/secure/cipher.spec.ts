import { describe, expect, it } from '@jest/globals';
import { dataIv, decryptData, encryptData, OsdpDataBlockError, padData, unpadData } from './cipher.js';
import { deriveSessionKeys } from './keys.js';
import { hex, opensslAes, opensslAvailable, warnIfOpensslMissing } from './testing/openssl.js';

// libosdp tests/unit-tests/test-sc.c data-block vectors: NIST SP 800-38A key and IV, the IV being
// the complement of the "last MAC". Each re-derived here with
//   printf <padded plaintext> | xxd -r -p | openssl enc -aes-128-cbc -K 2b7e...4f3c -iv 0001...0e0f -nopad | xxd -p
const KEY = hex('2B7E151628AED2A6ABF7158809CF4F3C');
const IV = hex('000102030405060708090A0B0C0D0E0F');
const LAST_MAC = Buffer.from(IV.map((byte) => ~byte & 0xff));
const VECTORS: [string, string, string][] = [
  ['15 bytes: marker completes the block', '000102030405060708090A0B0C0D0E', 'C5311F3D23D086EA86F5EE7F85247B40'],
  ['16 bytes: a whole block of padding follows', '000102030405060708090A0B0C0D0E0F', '7DF76B0C1AB899B33E42F047B91B546F E2FE5BD6C1DFCDD19124F03E1A134D3B'],
  ['no data: one block of padding', '', '4C08220C79D9191022DC6674874CEAF8'],
];

describe('data block encryption', () => {
  it('the IV is the complement of the last MAC', () => {
    expect(dataIv(LAST_MAC)).toEqual(IV);
  });

  it.each(VECTORS)('encrypts %s', (_name, plaintext, ciphertext) => {
    expect(encryptData(KEY, LAST_MAC, hex(plaintext))).toEqual(hex(ciphertext));
  });

  it.each(VECTORS.filter(([, plaintext]) => plaintext !== ''))('decrypts %s', (_name, plaintext, ciphertext) => {
    expect(decryptData(KEY, LAST_MAC, hex(ciphertext))).toEqual(hex(plaintext));
  });

  it('round-trips every length from 1 to 48 bytes, always adding padding', () => {
    for (let length = 1; length <= 48; length++) {
      const plaintext = Buffer.from(Array.from({ length }, (_, i) => (i * 7) & 0xff));
      const ciphertext = encryptData(KEY, LAST_MAC, plaintext);
      expect(ciphertext.length).toBe((Math.floor(length / 16) + 1) * 16);
      expect(decryptData(KEY, LAST_MAC, ciphertext)).toEqual(plaintext);
    }
  });

  it('decrypts nothing useful under another last MAC (the chain position matters)', () => {
    const ciphertext = encryptData(KEY, LAST_MAC, hex('00112233445566778899'));
    const otherMac = Buffer.from(LAST_MAC);
    otherMac[0] ^= 0x01;
    let result: Buffer | Error;
    try {
      result = decryptData(KEY, otherMac, ciphertext);
    } catch (error) {
      result = error as Error;
    }
    // In CBC the IV only touches the first block: here the first byte, so the plaintext differs.
    expect(result).not.toEqual(hex('00112233445566778899'));
  });
});

describe('strict unpadding', () => {
  it.each([
    ['marker then zeros', '0102 80' + '00'.repeat(13), '0102'],
    ['marker as the last byte', '0102030405060708090A0B0C0D0E0F 80', '0102030405060708090A0B0C0D0E0F'],
    ['a whole padding block', '000102030405060708090A0B0C0D0E0F 80' + '00'.repeat(15), '000102030405060708090A0B0C0D0E0F'],
  ])('accepts %s', (_name, padded, plaintext) => {
    expect(unpadData(hex(padded))).toEqual(hex(plaintext));
    expect(padData(hex(plaintext))).toEqual(hex(padded));
  });

  it.each([
    ['no marker', '0102030405060708090A0B0C0D0E0F10'],
    ['all zeros', '00'.repeat(16)],
    ['a wrong marker', '0102 81' + '00'.repeat(13)],
    ['the marker in an earlier block, a block of zeros after it', '0102030405060708090A0B0C0D0E0F80' + '00'.repeat(16)],
  ])('refuses %s', (_name, padded) => {
    expect(() => unpadData(hex(padded))).toThrow(expect.objectContaining({ name: 'OsdpDataBlockError', code: 'bad_padding' }));
  });

  it('refuses a decrypted block without valid padding, with a typed error that holds no data', () => {
    // A block that decrypts to 16 zero bytes (zeros encrypted without OSDP padding):
    //   printf 00000000000000000000000000000000 | xxd -r -p | openssl enc -aes-128-cbc -K 2b7e...4f3c -iv 0001...0e0f -nopad | xxd -p
    const ciphertext = hex('50FE67CC996D32B6DA0937E99BAFEC60');
    let caught: unknown;
    try {
      decryptData(KEY, LAST_MAC, ciphertext);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OsdpDataBlockError);
    expect((caught as OsdpDataBlockError).code).toBe('bad_padding');
    expect((caught as Error).message).not.toMatch(/[0-9a-f]{8}/i);
  });

  it.each([
    ['empty', ''],
    ['not whole blocks', 'C5311F3D23D086EA86F5EE7F85247B'],
  ])('refuses a ciphertext that is %s', (_name, ciphertext) => {
    expect(() => decryptData(KEY, LAST_MAC, hex(ciphertext))).toThrow(expect.objectContaining({ code: 'bad_length' }));
  });
});

warnIfOpensslMissing('cipher.spec');
const describeWithOpenssl = opensslAvailable ? describe : describe.skip;

describeWithOpenssl('data blocks against the OpenSSL command line', () => {
  it.each([1, 15, 16, 17, 33])('%i bytes under session keys', (length) => {
    const { sEnc } = deriveSessionKeys(hex('8A1F3C5D7E902B4C6D8E0F1A2B3C4D5E'), hex('0123456789ABCDEF'));
    const lastMac = hex('F0E1D2C3B4A5968778695A4B3C2D1E0F');
    const plaintext = Buffer.from(Array.from({ length }, (_, i) => (i * 29 + 3) & 0xff));
    const ciphertext = encryptData(sEnc, lastMac, plaintext);
    const viaOpenssl = opensslAes('cbc', sEnc, ciphertext, { iv: dataIv(lastMac), decrypt: true });
    expect(viaOpenssl.subarray(0, length)).toEqual(plaintext);
    expect(viaOpenssl[length]).toBe(0x80);
    expect(viaOpenssl.subarray(length + 1).every((byte) => byte === 0)).toBe(true);
  });
});
