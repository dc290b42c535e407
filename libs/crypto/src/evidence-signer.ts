import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type CryptoKey, importPKCS8 } from 'jose';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { signEvidence, verifyEvidence, type EvidenceType, type EvidenceVerdict } from './evidence-jws.js';
import { SigningKeyRing, type PublicSigningKey } from './signing-key-ring.js';

/** Signs and verifies evidence with the signing key ring named by configuration. */
@Injectable()
export class EvidenceSigner {
  private readonly ring: SigningKeyRing;

  constructor(config: AppConfig, clock: Clock) {
    this.ring = SigningKeyRing.open(config.signingKeyFile, () => clock.now());
  }

  /** Imported once: converting the key for WebCrypto on every signature costs about 1 ms. */
  private signingKey?: Promise<CryptoKey>;

  async sign(typ: EvidenceType, payload: string): Promise<string> {
    this.signingKey ??= importPKCS8(this.ring.currentPrivateKeyPem, 'EdDSA');
    return signEvidence(typ, payload, this.ring.currentKid, await this.signingKey);
  }

  verify(jws: string, typ: EvidenceType): Promise<EvidenceVerdict> {
    return verifyEvidence(jws, typ, (kid) => {
      const key = kid ? this.ring.publicKey(kid) : undefined;
      return key ? [key] : [];
    });
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.ring.publicKey(kid);
  }

  publicKeys(): PublicSigningKey[] {
    return this.ring.publicKeys();
  }
}
