// OSDP v2.2 (IEC 60839-11-5) Secure Channel key material, Annex D.
//
// Written on node:crypto rather than a library: every derivation here is one or two AES-128-ECB
// block encryptions, and a dependency would add supply-chain surface for about ten lines of code.
// Each derivation is cross-checked against the Annex E example vectors (published in libosdp's
// tests/unit-tests/test-sc-sia-vectors.c) and independently against the OpenSSL command line
// (keys.spec.ts).
import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';

export const AES_BLOCK = 16;
export const KEY_LENGTH = 16;
/** RND.A (ACU) and RND.B (PD) are 8 random bytes each (osdp_CHLNG / osdp_CCRYPT data). */
export const RANDOM_LENGTH = 8;
/** cUID, the PD's client identifier carried in osdp_CCRYPT. */
export const CLIENT_UID_LENGTH = 8;

/**
 * SCBK-D, the default Secure Channel Base Key 0x30..0x3F (Annex D). It is public, so a session
 * keyed with it authenticates nobody: a PD may accept it only in install mode, and only long
 * enough for the ACU to replace it with a per-PD SCBK through osdp_KEYSET.
 */
export function scbkDefault(): Buffer {
  return Buffer.from([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f]);
}

/** The three session keys of one secure channel (Annex D: S-ENC, S-MAC1, S-MAC2). */
export interface SessionKeys {
  readonly sEnc: Buffer;
  readonly sMac1: Buffer;
  readonly sMac2: Buffer;
}

/** Source of random bytes, injected so that tests can fix RND.A and RND.B. */
export type RandomSource = (length: number) => Uint8Array;

/** The production random source: the operating system's CSPRNG. */
export const cryptoRandom: RandomSource = (length) => randomBytes(length);

export function expectLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
}

/** One AES-128 block encryption (ECB of a single block): the primitive of every Annex D derivation. */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  expectLength('AES-128 key', key, KEY_LENGTH);
  expectLength('AES block', block, AES_BLOCK);
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

// Annex D key derivation: the first two bytes select the key (01 82 = S-ENC, 01 01 = S-MAC1,
// 01 02 = S-MAC2), followed by the first six bytes of RND.A and eight zero bytes, encrypted under
// the SCBK. Cross-checked with libosdp src/osdp_sc.c osdp_compute_session_keys.
function deriveOne(scbk: Uint8Array, prefix: number, rndA: Uint8Array): Buffer {
  const input = Buffer.alloc(AES_BLOCK);
  input[0] = 0x01;
  input[1] = prefix;
  input.set(rndA.subarray(0, 6), 2);
  return aesEncryptBlock(scbk, input);
}

/** S-ENC, S-MAC1 and S-MAC2 from the base key (SCBK or SCBK-D) and the ACU's challenge RND.A. */
export function deriveSessionKeys(scbk: Uint8Array, rndA: Uint8Array): SessionKeys {
  expectLength('SCBK', scbk, KEY_LENGTH);
  expectLength('RND.A', rndA, RANDOM_LENGTH);
  return { sEnc: deriveOne(scbk, 0x82, rndA), sMac1: deriveOne(scbk, 0x01, rndA), sMac2: deriveOne(scbk, 0x02, rndA) };
}

function cryptogram(sEnc: Uint8Array, first: Uint8Array, second: Uint8Array): Buffer {
  expectLength('S-ENC', sEnc, KEY_LENGTH);
  expectLength('RND.A', first, RANDOM_LENGTH);
  expectLength('RND.B', second, RANDOM_LENGTH);
  return aesEncryptBlock(sEnc, Buffer.concat([first, second]));
}

/**
 * Client cryptogram, sent by the PD in osdp_CCRYPT: AES(S-ENC, RND.A ‖ RND.B). It proves to the
 * ACU that the PD holds the SCBK. (libosdp calls it `pd_cryptogram`.)
 */
export function clientCryptogram(keys: SessionKeys, rndA: Uint8Array, rndB: Uint8Array): Buffer {
  return cryptogram(keys.sEnc, rndA, rndB);
}

/**
 * Server cryptogram, sent by the ACU in osdp_SCRYPT: AES(S-ENC, RND.B ‖ RND.A). It proves to the
 * PD that the ACU holds the SCBK. (libosdp calls it `cp_cryptogram`.)
 */
export function serverCryptogram(keys: SessionKeys, rndA: Uint8Array, rndB: Uint8Array): Buffer {
  expectLength('RND.A', rndA, RANDOM_LENGTH);
  return cryptogram(keys.sEnc, rndB, rndA);
}

/**
 * Initial R-MAC, sent by the PD in osdp_RMAC_I: AES(S-MAC2, AES(S-MAC1, server cryptogram)). It
 * seeds the MAC chain: the first secured command is MACed with it as the IV.
 */
export function initialRMac(keys: SessionKeys, serverCryptogramValue: Uint8Array): Buffer {
  return aesEncryptBlock(keys.sMac2, aesEncryptBlock(keys.sMac1, serverCryptogramValue));
}

/**
 * Compares two byte strings in time independent of where they differ, so a forger on the bus
 * cannot learn a cryptogram or MAC byte by byte from reply timing. Different lengths are unequal
 * (the lengths of these values are public).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
