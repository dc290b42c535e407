import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { DatabaseHealth, isConnectionError } from '@acs/database';
import { DomainError } from '@acs/http';
import { ACCESS_POLICY, type AccessPolicy, DURING_ENROLMENT } from './route-policy.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { type Principal, principalOfAccount } from './roles.js';
import { RecentCredentials } from './recent-credentials.js';
import { SecurityEventSink } from './security-event.sink.js';
import { CSRF_HEADER, sessionCookieOf } from './signin/session-cookie.js';
import type { BrowserSessionEntity } from './signin/sign-in.entities.js';
import { SessionService } from './signin/session.service.js';
import { StaffAccountEntity } from './staff-account.entity.js';
import { TokenService } from './token.service.js';

export type AuthenticatedRequest = Request & {
  principal?: Principal;
  id?: string;
  /** The browser session behind the principal, when it came with the session cookie. */
  browserSession?: BrowserSessionEntity;
  /** The audit entry's target when no route parameter names it (a sign-in names the account). */
  auditTargetId?: string;
};

// RFC 7235 section 2.1: the scheme is case-insensitive; token68 after one or more spaces.
const BEARER = /^bearer +([A-Za-z0-9_\-.~+/]+=*) *$/i;
// RFC 9110 §9.2.1: the safe methods; every other method changes state and needs the CSRF token.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Default deny: a route without an access declaration is refused for everyone. A request
 * authenticates with a bearer token (automation, the CLI) or, without an Authorization header,
 * with the browser session cookie; route policies apply the same to both.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly limiter: AuthFailureLimiter,
    @Optional() private readonly sink?: SecurityEventSink,
    @Optional() private readonly sessions?: SessionService,
    @Optional() @InjectDataSource() private readonly dataSource?: DataSource,
    @Optional() private readonly recent?: RecentCredentials,
    @Optional() private readonly health?: DatabaseHealth,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [ctx.getHandler(), ctx.getClass()]);
    if (!policy) throw new DomainError('auth.no_policy', 'this route declares no access policy', 403);
    if (policy.kind === 'public') return true;

    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization;
    const cookie = header === undefined ? sessionCookieOf(req) : undefined;
    if (cookie !== undefined) return this.viaSession(ctx, policy, req, cookie);

    const match = header ? BEARER.exec(header) : null;
    const principal = match ? await this.bearer(match[1]) : null;
    if (!principal) {
      // The limiter is asked only now: a valid token is never refused for what others sent from
      // the same address (behind one TLS proxy, that is everyone). req.ip honours TRUST_PROXY.
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const wait = await this.limiter.blockedFor(address);
      if (wait > 0) {
        throw new DomainError('auth.rate_limited', 'too many failed authentications; try again later', 429, { retryAfterSeconds: wait });
      }
      if (!header) throw new DomainError('auth.unauthenticated', 'a bearer token is required', 401);
      await this.limiter.recordFailure(address);
      throw new DomainError('auth.unauthenticated', 'the bearer token is not valid', 401);
    }
    return this.authorise(policy, principal, req);
  }

  /**
   * A session cookie's value is 256 random bits, so a stale one is a timeout, not guessing: it is
   * not counted against the address.
   */
  private async viaSession(ctx: ExecutionContext, policy: AccessPolicy, req: AuthenticatedRequest, cookie: string): Promise<boolean> {
    const { principal, session } = await this.sessionPrincipal(cookie);
    if (!session) throw new DomainError('auth.session_expired', 'the session has ended (signed out, timed out or revoked); sign in again', 401);
    req.browserSession = session;
    req.principal = principal;
    if (!SAFE_METHODS.has(req.method) && !this.sessions!.csrfMatches(session, headerOf(req, CSRF_HEADER))) {
      throw new DomainError('auth.csrf_failed', `a state-changing request with the session cookie needs the ${CSRF_HEADER} header of its session`, 403);
    }
    if (session.state === 'totp_enrolment' && !this.reflector.get<boolean | undefined>(DURING_ENROLMENT, ctx.getHandler())) {
      throw new DomainError('auth.totp_enrolment_required', 'enrol a second factor (POST /auth/totp/enrolment) before anything else', 403);
    }
    return this.authorise(policy, principal, req);
  }

  private async sessionPrincipal(cookie: string): Promise<{ principal: Principal; session: BrowserSessionEntity | null }> {
    const known = this.health?.degraded ? this.recent?.recall(cookie) : null;
    if (known) return known;
    try {
      const session = this.sessions ? await this.sessions.authenticate(cookie) : null;
      const staff = session && this.dataSource ? await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: session.staffId } }) : null;
      if (!session || !staff || staff.disabledAt !== null) {
        this.recent?.forgetCredential(cookie);
        throw new DomainError('auth.session_expired', 'the session has ended (signed out, timed out or revoked); sign in again', 401);
      }
      const principal = principalOfAccount(staff, session.id, session.id);
      this.recent?.remember(cookie, principal, session.expiresAt, session);
      return { principal, session };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      return this.recalled(err, cookie);
    }
  }

  private async bearer(token: string): Promise<Principal | null> {
    // Degraded: a credential accepted recently skips the lookup (which would wait for a timeout).
    const known = this.health?.degraded ? this.recent?.recall(token) : null;
    if (known) return known.principal;
    return this.tokens.authenticate(token).catch((err: unknown) => this.recalled(err, token).principal);
  }

  /**
   * While the database is unreachable (degraded mode, docs/failover.md), a staff credential it
   * accepted recently still authenticates, so lockdown and emergency release keep working; every
   * other failure, and an unknown credential, is the database's error as before.
   */
  private recalled(err: unknown, credential: string): { principal: Principal; session: BrowserSessionEntity | null } {
    const known = isConnectionError(err) ? this.recent?.recall(credential) : null;
    if (!known) throw err;
    return known;
  }

  private async authorise(policy: AccessPolicy, principal: Principal, req: AuthenticatedRequest): Promise<boolean> {
    req.principal = principal;
    if (policy.kind === 'own-account' ? principal.staffId !== undefined : policy.kind !== 'roles' || this.permits(policy, principal, req)) return true;
    await this.sink?.accessDenied(principal, `${req.method} ${req.route?.path ?? req.path}`, req.id);
    throw new DomainError('auth.forbidden', 'this token may not call this route', 403);
  }

  private permits(policy: Extract<AccessPolicy, { kind: 'roles' }>, p: Principal, req: Request): boolean {
    if (p.kind === 'staff') return policy.staff.includes(p.role);
    return policy.customerParam !== undefined && req.params[policy.customerParam] === p.customerId;
  }
}

function headerOf(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
