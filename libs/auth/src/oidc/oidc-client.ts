import * as client from 'openid-client';
import { DomainError } from '@acs/http';

/** What the callback learned from the provider, once the library has verified it. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUrl: string;
  scopes: string;
}

/**
 * A refusal of a single sign-on, with the stable code the console shows. `staffId` when an
 * account is concerned (the audit entry names it).
 */
export class OidcRefused extends DomainError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly staffId: string | null = null,
  ) {
    super(code, message, status);
  }
}

// Plain HTTP only to the machine itself (a provider on the same host, the tests); anywhere else
// the provider's TLS is what makes its discovery document and keys trustworthy.
function loopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/**
 * The relying party, on `openid-client` (a certified OpenID Connect implementation): discovery,
 * the authorization request with PKCE, and the code exchange, whose ID token it verifies
 * (signature from the provider's JWKS, iss, aud, azp, nonce, exp and iat: OpenID Connect Core
 * 1.0 §3.1.3.7) and whose authorization response it checks (state; `iss` per RFC 9207).
 */
export class OidcClient {
  private server: client.ServerMetadata | null = null;

  constructor(private readonly s: OidcClientSettings) {}

  /** The provider's metadata, discovered once (OpenID Connect Discovery 1.0 §4; its `issuer` must equal ours, §4.3). */
  private async metadata(): Promise<client.ServerMetadata> {
    if (this.server) return this.server;
    try {
      const discovered = await client.discovery(new URL(this.s.issuer), this.s.clientId, undefined, undefined, {
        execute: loopback(this.s.issuer) ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      this.server = discovered.serverMetadata();
      return this.server;
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * A configuration whose notion of "now" is `nowMs` (the injected clock): the library reads the
   * wall clock and adds `clockSkew`, so the skew is the clock's distance from the wall clock.
   */
  private async configuration(nowMs: number): Promise<client.Configuration> {
    const metadata: Partial<client.ClientMetadata> = { [client.clockSkew]: Math.round((nowMs - Date.now()) / 1000) };
    const auth = this.s.clientSecret ? client.ClientSecretBasic(this.s.clientSecret) : client.None();
    const config = new client.Configuration(await this.metadata(), this.s.clientId, metadata, auth);
    if (loopback(this.s.issuer)) client.allowInsecureRequests(config);
    return config;
  }

  async authorizationUrl(p: { state: string; nonce: string; codeChallenge: string; nowMs: number }): Promise<URL> {
    const config = await this.configuration(p.nowMs);
    const scopes = new Set(['openid', ...this.s.scopes.split(/\s+/).filter((x) => x !== '')]);
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.s.redirectUrl,
      response_type: 'code',
      scope: [...scopes].join(' '),
      state: p.state,
      nonce: p.nonce,
      // RFC 7636 §4.2: S256, never plain.
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /** Exchanges the code; throws OidcRefused with the code of what failed. */
  async exchange(p: { callbackQuery: string; state: string; nonce: string; codeVerifier: string; nowMs: number }): Promise<VerifiedIdentity> {
    const config = await this.configuration(p.nowMs);
    // The URL the provider redirected to, as registered: behind a proxy the request's own URL may differ.
    const current = new URL(this.s.redirectUrl);
    current.search = p.callbackQuery;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: p.codeVerifier,
        expectedState: p.state,
        expectedNonce: p.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new OidcRefused('auth.oidc_refused', 'the provider sent no ID token', 502);
      return { issuer: claims.iss, subject: claims.sub, claims: claims as Record<string, unknown> };
    } catch (err) {
      throw classify(err);
    }
  }
}

/** The library's error as one of our codes. Only codes and the library's fixed messages are kept: never tokens or claims. */
export function classify(err: unknown): OidcRefused {
  if (err instanceof OidcRefused) return err;
  if (networkFailure(err)) return unreachable();
  if (err instanceof client.AuthorizationResponseError) {
    return new OidcRefused('auth.oidc_refused', `the provider refused the sign-in (${safe(err.error)})`, 401);
  }
  if (err instanceof client.ResponseBodyError) {
    return new OidcRefused('auth.oidc_refused', `the provider refused the code exchange (${safe(err.error)})`, 401);
  }
  if (err instanceof client.ClientError) {
    const inner = err.cause as { message?: string; code?: string; cause?: { claim?: string; attribute?: string } } | undefined;
    const detail = inner?.cause;
    if (err.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && detail?.claim === 'exp') {
      return new OidcRefused('auth.oidc_token_expired', 'the ID token had expired when it was checked', 401);
    }
    if (err.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && detail?.claim === 'nonce') {
      return new OidcRefused('auth.oidc_nonce_mismatch', 'the ID token’s nonce is not the one this sign-in sent', 401);
    }
    const wrongIssuer =
      (err.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && detail?.claim === 'iss') ||
      (err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && detail?.attribute === 'issuer') ||
      (err.code === 'OAUTH_INVALID_RESPONSE' && /"iss"/.test(inner?.message ?? ''));
    if (wrongIssuer) return new OidcRefused('auth.oidc_wrong_issuer', 'the answer comes from another issuer than the configured provider', 401);
    if (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || err.code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
      return unreachable();
    }
    return new OidcRefused('auth.oidc_refused', `the provider’s answer did not pass verification (${safe(err.code)})`, 401);
  }
  return new OidcRefused('auth.oidc_refused', 'the single sign-on failed', 401);
}

/**
 * fetch() itself failed (connection refused, DNS, TLS, time-out): a TypeError "fetch failed" that
 * the library passes through or wraps. Matched by name, not instanceof: fetch's errors may come
 * from another realm than the library's (a test's VM context), which also makes the library wrap them.
 */
function networkFailure(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message } = e as { name?: unknown; message?: unknown };
    if ((name === 'TypeError' && message === 'fetch failed') || name === 'TimeoutError') return true;
  }
  return false;
}

function unreachable(): OidcRefused {
  return new OidcRefused('auth.oidc_provider_unreachable', 'the identity provider could not be reached or answered with an error', 502);
}

// An OAuth error code is ASCII from a fixed vocabulary (RFC 6749 §4.1.2.1); anything else is dropped.
function safe(code: unknown): string {
  return typeof code === 'string' && /^[a-z_A-Z0-9]{1,40}$/.test(code) ? code : 'error';
}
