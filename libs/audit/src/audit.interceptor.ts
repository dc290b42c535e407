import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { actorOf, AUDIT_POLICY, type AuditPolicy, type AuthenticatedRequest } from '@acs/auth';
import { toProblem } from '@acs/http';
import { AuditService } from './audit.service.js';

// A route parameter is caller input: keep it only when it looks like an id, never free text.
function safeId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(value) ? value : undefined;
}

/**
 * Writes one audit entry per call to a route marked `@Audited`, after the handler has finished
 * and before the response is sent, with the outcome. The response waits for the entry, so an
 * action the client saw succeed is in the trail.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const policy = this.reflector.get<AuditPolicy | undefined>(AUDIT_POLICY, ctx.getHandler());
    if (!policy || ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    return from(this.run(policy, req, next));
  }

  private async run(policy: AuditPolicy, req: AuthenticatedRequest, next: CallHandler): Promise<unknown> {
    // The actor is read when the entry is written: a sign-in route sets the principal it creates.
    const base = {
      action: policy.action,
      targetType: policy.targetType ?? null,
      requestId: req.id !== undefined ? String(req.id) : null,
    };
    const paramId = policy.targetParam ? safeId(req.params[policy.targetParam]) : undefined;
    try {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const responseId = typeof result === 'object' && result !== null && 'id' in result ? String((result as { id: unknown }).id) : undefined;
      await this.audit.recordOrDefer({
        ...base,
        actor: actorOf(req.principal),
        targetId: paramId ?? req.auditTargetId ?? responseId ?? null,
        outcome: 'success',
      });
      return result;
    } catch (err) {
      // The code the client is answered with (a pipe's 400 included), never a guess.
      const code = toProblem(err, undefined).code;
      await this.audit
        .recordOrDefer({ ...base, actor: actorOf(req.principal), targetId: paramId ?? req.auditTargetId ?? null, outcome: 'failure', details: { code } })
        .catch((auditErr: unknown) => this.logger.error({ err: auditErr, action: policy.action }, 'could not audit a failed call'));
      throw err;
    }
  }
}
