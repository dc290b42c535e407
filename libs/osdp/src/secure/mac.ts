// OSDP v2.2 Annex D message authentication: a CBC-MAC over the packet with two keys, chained
// across the session (each MAC's IV is the previous MAC of the other direction).
//
// Hand-written on node:crypto (see keys.ts for why): it is a loop of AES block encryptions.
// Cross-checked against libosdp src/osdp_sc.c osdp_compute_mac and, in mac.spec.ts, against
// OpenSSL's AES-128-CBC, which computes the same chain when both MAC keys are equal.
import { AES_BLOCK, aesEncryptBlock, constantTimeEqual, expectLength, KEY_LENGTH, type SessionKeys } from './keys.js';

/** The packet carries the first four bytes of the 16-byte MAC, between the data and the CRC. */
export const MAC_WIRE_LENGTH = 4;

/** 'command' = ACU → PD (C-MAC, SCB types 0x15/0x17); 'reply' = PD → ACU (R-MAC, 0x16/0x18). */
export type Direction = 'command' | 'reply';

export interface MacResult {
  /** The whole MAC; the chain keeps it as the next IV of the other direction. */
  readonly mac: Buffer;
  /** MAC[0..3], the bytes the packet carries. */
  readonly carried: Buffer;
}

/**
 * MAC padding (Annex D): a message that is not a whole number of blocks gets 0x80 and then zeros
 * up to the block boundary; a message that already is (and is not empty) gets none. Unlike data
 * encryption, which always pads. libosdp osdp_compute_mac pads the same way.
 */
export function padForMac(message: Uint8Array): Buffer {
  const remainder = message.length % AES_BLOCK;
  if (message.length > 0 && remainder === 0) return Buffer.from(message);
  const padded = Buffer.alloc(message.length + (AES_BLOCK - remainder));
  padded.set(message, 0);
  padded[message.length] = 0x80;
  return padded;
}

/**
 * The MAC of one packet: `message` is the packet from SOM through the last data byte (after data
 * encryption, with LEN already counting the MAC and the check bytes). All blocks but the last are
 * chained under S-MAC1 and the last under S-MAC2; `iv` is the previous MAC of the other direction
 * (the last R-MAC for a command, the last C-MAC for a reply; RMAC_I before the first command).
 */
export function computeMac(keys: Pick<SessionKeys, 'sMac1' | 'sMac2'>, iv: Uint8Array, message: Uint8Array): MacResult {
  expectLength('MAC IV', iv, AES_BLOCK);
  expectLength('S-MAC1', keys.sMac1, KEY_LENGTH);
  expectLength('S-MAC2', keys.sMac2, KEY_LENGTH);
  const padded = padForMac(message);
  const blocks = padded.length / AES_BLOCK;
  let state: Buffer = Buffer.from(iv);
  for (let i = 0; i < blocks; i++) {
    const block = padded.subarray(i * AES_BLOCK, (i + 1) * AES_BLOCK);
    for (let j = 0; j < AES_BLOCK; j++) state[j] ^= block[j];
    state = aesEncryptBlock(i === blocks - 1 ? keys.sMac2 : keys.sMac1, state);
  }
  return { mac: state, carried: Buffer.from(state.subarray(0, MAC_WIRE_LENGTH)) };
}

/**
 * The MAC state of one PD's secure session, identical on both ends: the last C-MAC and the last
 * R-MAC. The ACU signs commands and verifies replies; the PD verifies commands and signs replies.
 *
 * A failed verification leaves the chain unchanged and the caller must end the session (Annex D:
 * a PD that gets a bad MAC drops the secure channel; libosdp answers NAK and restarts the
 * handshake). A retried command is the same bytes MACed from the same R-MAC, so signing it again
 * yields the same MAC; the PD answers the repeated sequence number with its stored last reply
 * without touching the chain.
 */
export class MacChain {
  private lastCMac: Buffer | null = null;
  private lastRMac: Buffer;

  constructor(
    private readonly keys: SessionKeys,
    initialRMacValue: Uint8Array,
  ) {
    expectLength('RMAC_I', initialRMacValue, AES_BLOCK);
    this.lastRMac = Buffer.from(initialRMacValue);
  }

  /** The IV a message in this direction is MACed from (the other direction's last MAC). */
  macIv(direction: Direction): Buffer {
    if (direction === 'command') return Buffer.from(this.lastRMac);
    if (this.lastCMac === null) throw new Error('OSDP secure channel: a reply cannot be MACed before the first command');
    return Buffer.from(this.lastCMac);
  }

  /**
   * The MAC whose complement is the data-encryption IV in this direction (Annex D: the last R-MAC
   * for commands, the last C-MAC for replies), i.e. the same value as the MAC IV. Read it before
   * sign/verify of the packet whose data it encrypts or decrypts; pass it to cipher.ts.
   */
  cipherMac(direction: Direction): Buffer {
    return this.macIv(direction);
  }

  /** MACs an outgoing message and advances the chain; returns the 16-byte MAC and the 4 carried bytes. */
  sign(direction: Direction, message: Uint8Array): MacResult {
    const result = computeMac(this.keys, this.macIv(direction), message);
    this.record(direction, result.mac);
    return result;
  }

  /**
   * Checks the four MAC bytes carried by an incoming message (constant time) and advances the chain
   * only when they match.
   */
  verify(direction: Direction, message: Uint8Array, carried: Uint8Array): boolean {
    if (carried.length !== MAC_WIRE_LENGTH) return false;
    const result = computeMac(this.keys, this.macIv(direction), message);
    if (!constantTimeEqual(result.carried, carried)) return false;
    this.record(direction, result.mac);
    return true;
  }

  private record(direction: Direction, mac: Buffer): void {
    if (direction === 'command') this.lastCMac = mac;
    else this.lastRMac = mac;
  }
}
