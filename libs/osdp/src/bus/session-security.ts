import type { Direction, PacketSecurity } from '../packet.js';
import { decryptData, encryptData, OsdpDataBlockError } from '../secure/cipher.js';
import type { SecureSession } from '../secure/handshake.js';

/**
 * {@link PacketSecurity} over one established secure session (OSDP v2.2 Annex D): the packet layer
 * calls `encrypt` before `sign` when sealing and `verify` before `decrypt` when opening, so the IV
 * read here (the other direction's last MAC) is always the one of the packet being handled: a
 * command's encryption IV is the last R-MAC, which its own `sign` does not change; a reply's is the
 * last C-MAC, which its own `verify` does not change. Both ends use it: the bus (ACU) and the
 * virtual PD in hardware/virtual-osdp-reader.
 */
export class SessionSecurity implements PacketSecurity {
  constructor(private readonly session: SecureSession) {}

  get keyMode(): SecureSession['keyMode'] {
    return this.session.keyMode;
  }

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
    return this.session.chain.sign(direction, input).carried;
  }

  verify(direction: Direction, input: Uint8Array, mac: Uint8Array): boolean {
    return this.session.chain.verify(direction, input, mac);
  }
}
