import type { Request, Response } from 'express';

/**
 * The session cookie. Over TLS it carries the `__Host-` prefix (RFC 6265bis §4.1.3.2: Secure,
 * Path=/, no Domain, so a sibling subdomain cannot plant or overwrite it); over plain HTTP (a
 * management network, tests) a browser would refuse a Secure cookie, so it goes without.
 */
export const COOKIE_TLS = '__Host-acs_session';
export const COOKIE_PLAIN = 'acs_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The session cookie's value from the Cookie header (RFC 6265 §5.4: `name=value` pairs separated
 * by `; `). Parsed here rather than with cookie-parser: one cookie of our own format (token68
 * characters only), and no new dependency for it.
 */
export function sessionCookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name !== COOKIE_TLS && name !== COOKIE_PLAIN) continue;
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{1,100}$/.test(value)) return value;
  }
  return undefined;
}

export function setSessionCookie(req: Request, res: Response, token: string): void {
  // No Max-Age: the cookie ends with the browser; the server enforces the idle and absolute timeouts.
  res.cookie(req.secure ? COOKIE_TLS : COOKIE_PLAIN, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(req.secure ? COOKIE_TLS : COOKIE_PLAIN, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}

/**
 * A sign-in or password reset posted by a page of another origin is refused (login CSRF: a page
 * elsewhere could otherwise sign the victim's browser into the attacker's account; SameSite does
 * not help when there is no cookie yet). Browsers send Origin on every cross-origin POST (the Fetch
 * standard's "origin header" step), so its absence means a non-browser client, which is allowed.
 * `req.host` honours X-Forwarded-Host only from a proxy named in TRUST_PROXY.
 */
export function fromOwnOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false;
  }
}
