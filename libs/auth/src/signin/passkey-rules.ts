import { isIP } from 'node:net';

/**
 * Pure rules of the passkey (WebAuthn) ceremonies, apart from storage and HTTP so each can be
 * table-tested. Clause numbers are those of W3C Web Authentication Level 3 (the same clauses
 * exist in Level 2 unless said otherwise).
 */

/** Every refusal of a passkey ceremony, as its problem code (docs/http-problems.md). */
export type PasskeyRefusal =
  | 'passkey.challenge_missing'
  | 'passkey.challenge_expired'
  | 'passkey.challenge_mismatch'
  | 'passkey.wrong_ceremony'
  | 'passkey.origin_mismatch'
  | 'passkey.unknown_credential'
  | 'passkey.counter_regression'
  | 'passkey.invalid_response';

export interface RelyingParty {
  id: string;
  name: string;
  /** The origins a ceremony may have run on (CollectedClientData.origin, §5.10.1). */
  origins: string[];
}

/**
 * The RP ID (§5.1.2, §13.4.8): WEBAUTHN_RP_ID when set; else the host the server listens on when
 * that is a name, else `localhost`. An IP address is never a valid RP ID (an RP ID is a valid
 * domain string, §5.1.2), and a wildcard or loopback listener is most often reached as localhost.
 */
export function relyingPartyId(httpHost: string, configured: string | undefined): string {
  if (configured) return configured.toLowerCase();
  const host = httpHost.replace(/^\[|\]$/g, '').toLowerCase();
  return host === '' || isIP(host) !== 0 ? 'localhost' : host;
}

/**
 * The accepted origins: WEBAUTHN_ORIGINS when set (comma-separated); else the one origin the
 * request reached this server at (`req.protocol` and `req.host`, which honour X-Forwarded-* only
 * from a proxy in TRUST_PROXY), and only when its host name is the RP ID or a name under it: the
 * browser has already refused an RP ID that is not a registrable suffix of the page's origin
 * (§5.1.3 and §5.1.4.1, the rpId checks), so this keeps a zero-configuration install working on the
 * address it is reached at without accepting any other.
 */
export function acceptedOrigins(configured: string | undefined, rpId: string, request: { protocol: string; host: string }): string[] {
  if (configured) {
    return configured
      .split(',')
      .map((s) => s.trim().replace(/\/$/, ''))
      .filter((s) => s !== '');
  }
  let url: URL;
  try {
    url = new URL(`${request.protocol}://${request.host}`);
  } catch {
    return [];
  }
  const name = url.hostname.toLowerCase();
  return name === rpId || name.endsWith(`.${rpId}`) ? [url.origin] : [];
}

/** A challenge row as the ceremony finds it. */
export interface ChallengeState {
  expiresAt: number;
  usedAt: number | null;
}

/**
 * A challenge is good once (§13.4.3: the RP must not accept a response to a challenge it did not
 * issue or already consumed, or replay becomes possible) and until it expires (the ceremony's
 * timeout, §15.1 in Level 3).
 */
export function challengeRefusal(row: ChallengeState | null, now: number): PasskeyRefusal | null {
  if (!row || row.usedAt !== null) return 'passkey.challenge_missing';
  if (now >= row.expiresAt) return 'passkey.challenge_expired';
  return null;
}

/**
 * The client data checks of §7.1 (registering) and §7.2 (verifying an assertion): C.type, C.challenge
 * against the challenge we issued, and C.origin against the accepted origins. simplewebauthn checks the
 * same again; doing it first gives each refusal its own problem code.
 */
export function clientDataRefusal(
  clientDataJSON: string,
  expected: { type: 'webauthn.create' | 'webauthn.get'; challenge: string; origins: readonly string[] },
): PasskeyRefusal | null {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    return 'passkey.invalid_response';
  }
  if (typeof data !== 'object' || data === null) return 'passkey.invalid_response';
  const { type, challenge, origin } = data as Record<string, unknown>;
  if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string') return 'passkey.invalid_response';
  if (type !== expected.type) return 'passkey.wrong_ceremony';
  if (challenge !== expected.challenge) return 'passkey.challenge_mismatch';
  if (!expected.origins.includes(origin)) return 'passkey.origin_mismatch';
  return null;
}

/**
 * The signature counter rule of §6.1.1 and §7.2 (the signCount step): when either the
 * stored or the received count is non-zero, the received one must be greater than the stored
 * one; otherwise the authenticator may have been cloned. The clause leaves the reaction to the
 * RP: we refuse the sign-in (and audit it), because a staff account opens datacenter doors. Both
 * zero is the normal case of authenticators without a counter (most synced passkeys).
 */
export function counterRefusal(stored: number, received: number): PasskeyRefusal | null {
  if (stored === 0 && received === 0) return null;
  return received > stored ? null : 'passkey.counter_regression';
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const isB64url = (v: unknown, max = 100_000): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && B64URL.test(v);

/** The parts of a PublicKeyCredential's JSON (§5.1, toJSON) the ceremonies read, checked before any decoding. */
export interface CredentialJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: Record<string, unknown>;
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/**
 * The credential JSON a browser sent, or null when its shape is wrong. The credential id is at
 * most 1023 bytes (§4 "Credential ID"), so at most 1364 base64url characters.
 */
export function credentialJson(value: unknown, ceremony: 'registration' | 'authentication'): CredentialJson | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isB64url(v.id, 1364) || v.rawId !== v.id || v.type !== 'public-key') return null;
  const r = v.response;
  if (typeof r !== 'object' || r === null) return null;
  const resp = r as Record<string, unknown>;
  if (!isB64url(resp.clientDataJSON, 8192)) return null;
  if (ceremony === 'registration' && !isB64url(resp.attestationObject)) return null;
  if (ceremony === 'authentication' && (!isB64url(resp.authenticatorData, 8192) || !isB64url(resp.signature, 1024))) return null;
  if (resp.transports !== undefined && !(Array.isArray(resp.transports) && resp.transports.every((t) => typeof t === 'string' && t.length <= 32))) return null;
  const attachment = v.authenticatorAttachment;
  if (attachment !== undefined && attachment !== null && attachment !== 'platform' && attachment !== 'cross-platform') return null;
  const ext = v.clientExtensionResults ?? {};
  if (typeof ext !== 'object' || ext === null) return null;
  return {
    id: v.id,
    rawId: v.id,
    type: 'public-key',
    response: resp,
    clientExtensionResults: ext as Record<string, unknown>,
    ...(attachment ? { authenticatorAttachment: attachment as 'platform' | 'cross-platform' } : {}),
  };
}

/** The transports worth keeping as hints (§5.8.4 AuthenticatorTransport); unknown values are dropped, as the clause asks. */
export function knownTransports(values: unknown): string[] {
  const known = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
  return Array.isArray(values) ? [...new Set(values.filter((t): t is string => typeof t === 'string' && known.has(t)))] : [];
}
