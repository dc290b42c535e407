import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { EvidenceSigner, type PublicSigningKey } from '@acs/crypto';
import { checkCertificate, type CertificateCheck } from './certificate-check.js';
import { certificateFileName, writeDurably } from './evidence-files.js';

export interface StoredCertificateCheck extends CertificateCheck {
  /** False for certificates issued before signing existed (no JWS stored). */
  signed: boolean;
}

/**
 * Signed certificates: the JWS is stored with the row and written, at issue, as a file in
 * CERTIFICATE_DIR, outside the database, where someone who can rewrite the database cannot reach it.
 */
@Injectable()
export class CertificateEvidence {
  constructor(
    private readonly config: AppConfig,
    private readonly signer: EvidenceSigner,
  ) {}

  get folder(): string {
    return this.config.certificateDir;
  }

  /** Signs the certificate text and writes the file durably before the row is committed. */
  async issue(id: string, bodyText: string): Promise<{ jws: string; path: string }> {
    const jws = await this.signer.sign('acs-erasure-certificate', bodyText);
    const path = writeDurably(this.folder, certificateFileName(id), `${jws}\n`);
    return { jws, path };
  }

  /** The row was not committed after all (another runner certified first): its file must not stay. */
  discard(id: string): void {
    rmSync(join(this.folder, certificateFileName(id)), { force: true });
  }

  /** A stored certificate: signature valid under our keys, and the row's body is what was signed. */
  async checkRow(row: { body: string; hash: string; jws: string | null }): Promise<StoredCertificateCheck> {
    if (!row.jws) {
      return {
        ok: false,
        signed: false,
        certificate: null,
        kind: null,
        customerId: null,
        personId: null,
        issuedAt: null,
        kid: null,
        signature: 'malformed',
        problems: ['not signed (issued before certificates were signed)'],
        body: row.body,
      };
    }
    const check = await this.checkJws(row.jws);
    const problems = [...check.problems];
    if (check.body !== row.body) problems.push('the certificate in the database differs from the signed one');
    const body = JSON.parse(row.body) as { hash?: unknown };
    if (body.hash !== row.hash) problems.push('the hash column differs from the certificate');
    return { ...check, ok: problems.length === 0, signed: true, problems };
  }

  checkJws(jws: string): Promise<CertificateCheck> {
    return checkCertificate(jws, (kid) => {
      const key = kid ? this.signer.publicKey(kid) : undefined;
      return key ? [key] : [];
    });
  }

  publicKeys(): PublicSigningKey[] {
    return this.signer.publicKeys();
  }
}
