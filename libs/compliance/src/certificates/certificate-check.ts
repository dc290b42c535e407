import type { KeyObject } from 'node:crypto';
import { verifyEvidence, type EvidenceVerdict } from '@acs/crypto';
import { certificateHash } from './certificate-hash.js';

export interface CertificateCheck {
  ok: boolean;
  certificate: string | null;
  kind: string | null;
  customerId: string | null;
  personId: string | null;
  issuedAt: string | null;
  /** The key id the signature names, and whether that key's signature holds. */
  kid: string | null;
  signature: 'valid' | Extract<EvidenceVerdict, { ok: false }>['reason'];
  problems: string[];
  /** The verified (or, when invalid, the claimed) certificate text. */
  body: string | null;
}

/**
 * Checks a signed certificate with the public keys a verifier trusts: the Ed25519 signature over
 * the exact certificate text, then the certificate's own hash. Needs no database and no server.
 */
export async function checkCertificate(jws: string, keyFor: (kid: string | null) => KeyObject[]): Promise<CertificateCheck> {
  const verdict = await verifyEvidence(jws, 'acs-erasure-certificate', keyFor);
  const problems: string[] = [];
  if (!verdict.ok) problems.push(signatureProblem(verdict.reason, verdict.kid));
  const text = verdict.payload;
  let body: Record<string, unknown> | null = null;
  try {
    body = text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    problems.push('the certificate is not JSON');
  }
  if (body) {
    const { hash, ...rest } = body;
    if (typeof hash !== 'string' || certificateHash(rest) !== hash) problems.push('the certificate hash does not match its body');
  }
  const str = (k: string) => (body && typeof body[k] === 'string' ? (body[k] as string) : null);
  return {
    ok: problems.length === 0,
    certificate: str('certificate'),
    kind: str('kind'),
    customerId: str('customerId'),
    personId: str('personId'),
    issuedAt: str('issuedAt'),
    kid: verdict.kid,
    signature: verdict.ok ? 'valid' : verdict.reason,
    problems,
    body: text,
  };
}

function signatureProblem(reason: string, kid: string | null): string {
  switch (reason) {
    case 'unknown_key':
      return `signed with a key that is not trusted here (${kid ?? 'no key id'})`;
    case 'bad_signature':
      return 'the signature does not match the certificate (edited, or signed by another key)';
    case 'wrong_type':
      return 'not an erasure certificate';
    default:
      return 'not a compact JWS';
  }
}
