import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, type CryptoKey, decodeProtectedHeader } from 'jose';

/**
 * Evidence is a JWS in compact serialization (RFC 7515 §7.1) signed with Ed25519 (`alg: EdDSA`,
 * RFC 8037 §3.1): any JOSE library, or openssl alone (README), checks it without this software.
 * The payload is the exact JSON text the server stored, so no canonicalisation is involved.
 */
export type EvidenceType = 'acs-erasure-certificate' | 'acs-checkpoint';

export async function signEvidence(typ: EvidenceType, payload: string, kid: string, privateKey: KeyObject | CryptoKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid, typ }).sign(privateKey);
}

export type EvidenceVerdict =
  | { ok: true; kid: string; typ: string; payload: string }
  | { ok: false; kid: string | null; reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'wrong_type'; payload: string | null };

/**
 * Verifies a compact JWS against the keys a caller trusts (`keyFor` returns the key for a kid, or
 * every candidate when the caller holds keys without ids, e.g. a PEM handed over by the operator).
 */
export async function verifyEvidence(jws: string, typ: EvidenceType, keyFor: (kid: string | null) => KeyObject[]): Promise<EvidenceVerdict> {
  const text = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(text);
  } catch {
    return { ok: false, kid: null, reason: 'malformed', payload: null };
  }
  const kid = typeof header.kid === 'string' ? header.kid : null;
  const headerTyp = header.typ;
  const claimed = payloadOf(text);
  if (headerTyp !== typ) return { ok: false, kid, reason: 'wrong_type', payload: claimed };
  const candidates = keyFor(kid);
  if (candidates.length === 0) return { ok: false, kid, reason: 'unknown_key', payload: claimed };
  for (const key of candidates) {
    try {
      const { payload } = await compactVerify(text, key, { algorithms: ['EdDSA'] });
      return { ok: true, kid: kid ?? '', typ, payload: new TextDecoder().decode(payload) };
    } catch {
      // try the next candidate key
    }
  }
  return { ok: false, kid, reason: 'bad_signature', payload: claimed };
}

/** The payload as claimed (unverified): for reporting what a failed file says it is. */
export function payloadOf(jws: string): string | null {
  const part = jws.trim().split('.')[1];
  if (part === undefined) return null;
  try {
    return Buffer.from(part, 'base64url').toString('utf8');
  } catch {
    return null;
  }
}
