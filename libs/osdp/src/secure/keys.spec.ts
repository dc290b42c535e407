import { describe, expect, it } from '@jest/globals';
import { aesEncryptBlock, clientCryptogram, constantTimeEqual, deriveSessionKeys, initialRMac, scbkDefault, serverCryptogram } from './keys.js';
import { ANNEX_E } from './testing/annex-e.js';
import { hex, opensslAes, opensslAvailable, warnIfOpensslMissing } from './testing/openssl.js';

describe('secure channel keys: Annex E example', () => {
  it('SCBK-D is 0x30..0x3F', () => {
    expect(scbkDefault().toString('hex')).toBe('303132333435363738393a3b3c3d3e3f');
  });

  it('derives S-ENC, S-MAC1 and S-MAC2 from SCBK-D and RND.A', () => {
    const keys = deriveSessionKeys(scbkDefault(), ANNEX_E.rndA);
    expect(keys.sEnc).toEqual(ANNEX_E.sEnc);
    expect(keys.sMac1).toEqual(ANNEX_E.sMac1);
    expect(keys.sMac2).toEqual(ANNEX_E.sMac2);
  });

  it('computes the client and server cryptograms and the initial R-MAC', () => {
    const keys = deriveSessionKeys(scbkDefault(), ANNEX_E.rndA);
    expect(clientCryptogram(keys, ANNEX_E.rndA, ANNEX_E.rndB)).toEqual(ANNEX_E.clientCryptogram);
    expect(serverCryptogram(keys, ANNEX_E.rndA, ANNEX_E.rndB)).toEqual(ANNEX_E.serverCryptogram);
    expect(initialRMac(keys, ANNEX_E.serverCryptogram)).toEqual(ANNEX_E.rmacI);
  });

  it('uses only the first six bytes of RND.A for the session keys (Annex D)', () => {
    const other = Buffer.from(ANNEX_E.rndA);
    other[6] ^= 0xff;
    other[7] ^= 0xff;
    expect(deriveSessionKeys(scbkDefault(), other)).toEqual(deriveSessionKeys(scbkDefault(), ANNEX_E.rndA));
    other[5] ^= 0x01;
    expect(deriveSessionKeys(scbkDefault(), other).sEnc).not.toEqual(ANNEX_E.sEnc);
  });

  it('refuses keys and randoms of the wrong length', () => {
    expect(() => deriveSessionKeys(scbkDefault().subarray(0, 15), ANNEX_E.rndA)).toThrow(RangeError);
    expect(() => deriveSessionKeys(scbkDefault(), ANNEX_E.rndA.subarray(0, 7))).toThrow(RangeError);
    const keys = deriveSessionKeys(scbkDefault(), ANNEX_E.rndA);
    expect(() => clientCryptogram(keys, ANNEX_E.rndA, Buffer.alloc(9))).toThrow(RangeError);
  });
});

describe(constantTimeEqual.name, () => {
  it.each([
    ['equal', '00112233', '00112233', true],
    ['first byte differs', '01112233', '00112233', false],
    ['last byte differs', '00112232', '00112233', false],
    ['shorter', '001122', '00112233', false],
    ['both empty', '', '', true],
  ])('%s', (_name, a, b, equal) => {
    expect(constantTimeEqual(hex(a), hex(b))).toBe(equal);
  });
});

warnIfOpensslMissing('keys.spec');
const describeWithOpenssl = opensslAvailable ? describe : describe.skip;

describeWithOpenssl('secure channel keys against the OpenSSL command line', () => {
  // A per-PD SCBK and challenge unrelated to the Annex E example, so the check does not rest on it.
  const scbk = hex('8A1F3C5D7E902B4C6D8E0F1A2B3C4D5E');
  const rndA = hex('0123456789ABCDEF');
  const rndB = hex('FEDCBA9876543210');

  it('AES-128 block encryption', () => {
    const block = hex('00112233445566778899AABBCCDDEEFF');
    expect(aesEncryptBlock(scbk, block)).toEqual(opensslAes('ecb', scbk, block));
  });

  it('session keys, cryptograms and initial R-MAC', () => {
    const keys = deriveSessionKeys(scbk, rndA);
    expect(keys.sEnc).toEqual(opensslAes('ecb', scbk, hex('0182 0123456789AB 0000000000000000')));
    expect(keys.sMac1).toEqual(opensslAes('ecb', scbk, hex('0101 0123456789AB 0000000000000000')));
    expect(keys.sMac2).toEqual(opensslAes('ecb', scbk, hex('0102 0123456789AB 0000000000000000')));
    const client = opensslAes('ecb', keys.sEnc, Buffer.concat([rndA, rndB]));
    const server = opensslAes('ecb', keys.sEnc, Buffer.concat([rndB, rndA]));
    expect(clientCryptogram(keys, rndA, rndB)).toEqual(client);
    expect(serverCryptogram(keys, rndA, rndB)).toEqual(server);
    expect(initialRMac(keys, server)).toEqual(opensslAes('ecb', keys.sMac2, opensslAes('ecb', keys.sMac1, server)));
  });
});
