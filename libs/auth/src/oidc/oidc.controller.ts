import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '@acs/config';
import { newToken } from '@acs/crypto';
import { ApiProblems } from '@acs/http';
import type { AuthenticatedRequest } from '../auth.guard.js';
import { Public } from '../route-policy.js';
import { SecurityEventSink } from '../security-event.sink.js';
import { sessionCookieOf, setSessionCookie } from '../signin/session-cookie.js';
import { SessionService } from '../signin/session.service.js';
import { classify, OidcRefused } from './oidc-client.js';
import { OidcService } from './oidc.service.js';

export class OidcOptionsView {
  @ApiProperty({ description: 'Single sign-on through OpenID Connect is configured (OIDC_ISSUER)' }) enabled!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The provider’s name for the "Sign in with …" button', example: 'Entra ID' })
  displayName!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Where the button goes (a browser navigation, not a fetch)', example: '/auth/oidc/start' })
  startUrl!: string | null;
}

/**
 * The pre-session cookie: binds the provider's answer to the browser that asked (OpenID Connect
 * Core 1.0 §3.1.2.1 recommends binding state to the user agent; RFC 9700 §4.7.1 on CSRF against
 * the redirect URI). SameSite=Lax, unlike the session cookie: the provider's redirect back is a
 * cross-site navigation, on which a Strict cookie is not sent. `__Host-` over TLS as for the
 * session cookie.
 */
const BINDING_TLS = '__Host-acs_oidc';
const BINDING_PLAIN = 'acs_oidc';

function bindingOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq > 0 && (name === BINDING_TLS || name === BINDING_PLAIN) && /^[A-Za-z0-9_-]{1,100}$/.test(value)) return value;
  }
  return undefined;
}

/** Where the browser lands after the callback: the console, told the outcome in the query. */
const CONSOLE = '/console/';

@ApiTags('sign-in')
@ApiProblems()
@Controller('auth/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcService,
    private readonly sessions: SessionService,
    private readonly config: AppConfig,
    private readonly sink: SecurityEventSink,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Whether single sign-on is offered, and the provider’s name for the sign-in page' })
  @ApiOkResponse({ type: OidcOptionsView })
  options(): OidcOptionsView {
    return this.oidc.enabled
      ? { enabled: true, displayName: this.config.OIDC_DISPLAY_NAME, startUrl: '/auth/oidc/start' }
      : { enabled: false, displayName: null, startUrl: null };
  }

  /**
   * Browser navigation: 303 to the provider (problem `auth.oidc_not_configured` when off). Left out
   * of the OpenAPI document with the callback: both answer redirects for a browser, not JSON for
   * an API client, and docs/single-sign-on.md describes them.
   */
  @Get('start')
  @Public()
  @ApiExcludeEndpoint()
  async start(@Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    if (!this.oidc.enabled) throw new OidcRefused('auth.oidc_not_configured', 'single sign-on is not configured on this server (OIDC_ISSUER)', 404);
    const binding = bindingOf(req) ?? newToken('acso');
    const cookie = sessionCookieOf(req);
    const current = cookie ? await this.sessions.authenticate(cookie) : null;
    let target: string;
    try {
      target = (await this.oidc.start(binding, current?.id ?? null)).href;
    } catch (err) {
      const refused = classify(err);
      await this.audit(req, refused);
      return res.redirect(303, `${CONSOLE}?sso_error=${encodeURIComponent(refused.code)}`);
    }
    res.cookie(req.secure ? BINDING_TLS : BINDING_PLAIN, binding, {
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      path: '/',
      maxAge: this.config.OIDC_STATE_TTL_MINUTES * 60_000,
    });
    res.redirect(303, target);
  }

  /**
   * The redirect URI. Every refusal is a 303 to the console with `sso_error=<code>` (a person is
   * at the browser, not an API client) and an audit entry; success sets the session cookie.
   */
  @Get('callback')
  @Public()
  @ApiExcludeEndpoint()
  async callback(@Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    if (!this.oidc.enabled) throw new OidcRefused('auth.oidc_not_configured', 'single sign-on is not configured on this server (OIDC_ISSUER)', 404);
    const query = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
    try {
      const outcome = await this.oidc.finish(query, bindingOf(req));
      // Rotation, as the password sign-in does: the session the browser started from ends here.
      // The provider is responsible for the second factor, so the session is active at once.
      const issued = await this.sessions.create(outcome.staff.id, 'active', outcome.replacesSessionId ?? undefined);
      setSessionCookie(req, res, issued.token);
      res.clearCookie(req.secure ? BINDING_TLS : BINDING_PLAIN, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
      await this.sink.authEvent({
        action: 'auth.oidc_sign_in',
        staffId: outcome.staff.id,
        targetId: outcome.staff.id,
        outcome: 'success',
        requestId: req.id,
        details: { sessionId: issued.session.id, role: outcome.staff.role, roleChanged: outcome.roleChanged, created: outcome.created },
      });
      res.redirect(303, `${CONSOLE}?sso=signed-in`);
    } catch (err) {
      const refused = classify(err);
      await this.audit(req, refused);
      res.redirect(303, `${CONSOLE}?sso_error=${encodeURIComponent(refused.code)}`);
    }
  }

  private async audit(req: AuthenticatedRequest, refused: OidcRefused): Promise<void> {
    await this.sink.authEvent({
      action: 'auth.oidc_sign_in',
      staffId: null,
      targetId: refused.staffId,
      outcome: 'denied',
      requestId: req.id,
      details: { code: refused.code },
    });
  }
}
