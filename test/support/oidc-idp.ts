import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpUser {
  sub: string;
  groups: string[];
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The person the provider signs in at the next authorization request (no login form: the test decides). */
  signInAs(user: IdpUser): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider for the tests: the certified `oidc-provider` package in-process on a
 * loopback port, one confidential client that must use PKCE, and an interaction endpoint that
 * signs in the user the test names (login and consent at once) instead of showing forms. Groups
 * travel in the ID token (`conformIdTokenClaims: false` puts the scope's claims there).
 */
export async function startTestIdp(opts: { redirectUri: string; idTokenTtlS?: number }): Promise<TestIdp> {
  let provider: Provider | null = null;
  let next: IdpUser | null = null;
  const accounts = new Map<string, IdpUser>();

  const server: Server = createServer((req, res) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider!.interactionDetails(req, res);
          if (!next) throw new Error('the test named no user (signInAs)');
          accounts.set(next.sub, next);
          const grant = new provider!.Grant({ accountId: next.sub, clientId: details.params.client_id! });
          grant.addOIDCScope(details.params.scope ?? 'openid');
          const grantId = await grant.save();
          await provider!.interactionFinished(req, res, { login: { accountId: next.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
        } catch (err) {
          res.statusCode = 500;
          res.end(String(err));
        }
      })();
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'acs-staff-console';
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', use: 'sig', alg: 'RS256' };

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // PKCE for every client, not only public ones (RFC 9700 §2.1.1 recommends it for confidential clients too).
    pkce: { methods: ['S256'], required: () => true },
    claims: { openid: ['sub'], groups: ['groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: { IdToken: opts.idTokenTtlS ?? 60, AccessToken: 60, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
    findAccount: (_ctx: unknown, id: string) => {
      const user = accounts.get(id);
      return user ? { accountId: id, claims: () => ({ sub: user.sub, groups: user.groups }) } : undefined;
    },
  });
  // The provider logs refused requests through these events; a test that fails sees them.
  provider.on('server_error', (_ctx, err) => console.error('test IdP server_error', err));

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (user) => {
      next = user;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Cookies per origin, as a browser would keep them across the provider's redirects (names and values only). */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.jars.get(url.origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  take(url: URL, res: Response): void {
    const jar = this.jars.get(url.origin) ?? new Map<string, string>();
    this.jars.set(url.origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }
}

/**
 * Follows the provider's redirects from an authorization URL, with a cookie jar, until the
 * provider sends the browser to `callbackPrefix`; returns that URL (code, state, iss) unfetched.
 */
export async function authorizeAtProvider(authorizationUrl: string, callbackPrefix: string, jar = new CookieJar()): Promise<URL> {
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
    jar.take(url, res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 300)}`);
    }
    url = new URL(location, url);
    if (url.href.startsWith(callbackPrefix)) return url;
  }
  throw new Error('the provider never redirected back');
}
