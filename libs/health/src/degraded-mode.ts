import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { DatabaseHealth } from '@acs/database';
import { DomainError } from '@acs/http';

const AVAILABLE_WHILE_DEGRADED = 'acs:available-while-degraded';

/**
 * A mutating route that must keep working while the database is unreachable (lockdown and
 * emergency release act on the controllers, from memory, and persist later).
 */
export const AvailableWhileDegraded = (): MethodDecorator & ClassDecorator => SetMetadata(AVAILABLE_WHILE_DEGRADED, true);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * While the database is unreachable (degraded mode, docs/failover.md), changes that need it
 * (enrolment, grants, purges, registry writes) are refused at once with `service.degraded` (503)
 * and the outage's age, rather than each failing in its own way half-way through. Reads go on and
 * fail or succeed on their own. Runs after the guards, so an unauthenticated caller learns nothing.
 */
@Injectable()
export class DegradedModeInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly health: DatabaseHealth,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http' || !this.health.degraded) return next.handle();
    const method = ctx.switchToHttp().getRequest<{ method: string }>().method.toUpperCase();
    if (SAFE_METHODS.has(method)) return next.handle();
    if (this.reflector.getAllAndOverride<boolean>(AVAILABLE_WHILE_DEGRADED, [ctx.getHandler(), ctx.getClass()])) return next.handle();
    const ageS = this.health.view().ageSeconds;
    throw new DomainError('service.degraded', `the database has been unreachable for ${ageS} s: changes are refused until it is back`, 503, {
      degradedSinceSeconds: ageS,
    });
  }
}
