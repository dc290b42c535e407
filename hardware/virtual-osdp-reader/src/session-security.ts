import { type Direction, type PacketSecurity } from '@acs/osdp';
import { decryptData, encryptData, OsdpDataBlockError, type SecureSession } from '@acs/osdp';

/**
 * The packet layer's {@link PacketSecurity} port over one established secure session (OSDP v2.2
 * Annex D): MAC chain and data blocks from libs/osdp/src/secure. The data-block IV is the
 * complement of the other direction's last MAC, read before the packet's own MAC moves the chain
 * (docs/osdp-secure-channel.md §Encrypted data): encodePacket encrypts before it signs, and
 * openPacket verifies a command (which moves the C-MAC) before it decrypts with the R-MAC.
 */
export class SessionSecurity implements PacketSecurity {
  constructor(private readonly session: SecureSession) {}

  encrypt(direction: Direction, plaintext: Uint8Array): Uint8Array {
    return encryptData(this.session.keys.sEnc, this.session.chain.cipherMac(direction), plaintext);
  }

  decrypt(direction: Direction, ciphertext: Uint8Array): Uint8Array | undefined {
    try {
      return decryptData(this.session.keys.sEnc, this.session.chain.cipherMac(direction), ciphertext);
    } catch (err) {
      if (err instanceof OsdpDataBlockError) return undefined;
      throw err;
    }
  }

  sign(direction: Direction, input: Uint8Array): Uint8Array {
    return this.session.chain.sign(direction, input).mac;
  }

  verify(direction: Direction, input: Uint8Array, mac: Uint8Array): boolean {
    return this.session.chain.verify(direction, input, mac);
  }
}
