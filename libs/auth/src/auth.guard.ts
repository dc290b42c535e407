import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '@acs/http';
import { ACCESS_POLICY, type AccessPolicy } from './route-policy.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { Principal } from './roles.js';
import { SecurityEventSink } from './security-event.sink.js';
import { TokenService } from './token.service.js';

export type AuthenticatedRequest = Request & { principal?: Principal; id?: string };

// RFC 7235 section 2.1: the scheme is case-insensitive; token68 after one or more spaces.
const BEARER = /^bearer +([A-Za-z0-9_\-.~+/]+=*) *$/i;

/** Default deny: a route without an access declaration is refused for everyone. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly limiter: AuthFailureLimiter,
    @Optional() private readonly sink?: SecurityEventSink,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [ctx.getHandler(), ctx.getClass()]);
    if (!policy) throw new DomainError('auth.no_policy', 'this route declares no access policy', 403);
    if (policy.kind === 'public') return true;

    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    const principal = match ? await this.tokens.authenticate(match[1]) : null;
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
    req.principal = principal;
    if (policy.kind === 'authenticated' || this.permits(policy, principal, req)) return true;

    await this.sink?.accessDenied(principal, `${req.method} ${req.route?.path ?? req.path}`, req.id);
    throw new DomainError('auth.forbidden', 'this token may not call this route', 403);
  }

  private permits(policy: Extract<AccessPolicy, { kind: 'roles' }>, p: Principal, req: Request): boolean {
    if (p.kind === 'staff') return policy.staff.includes(p.role);
    return policy.customerParam !== undefined && req.params[policy.customerParam] === p.customerId;
  }
}
