import { Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
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

  sign(typ: EvidenceType, payload: string): Promise<string> {
    return signEvidence(typ, payload, this.ring.currentKid, this.ring.currentPrivateKey);
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
