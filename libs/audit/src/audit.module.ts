import { Global, Injectable, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { actorOf, type AuthEvent, type Principal, SecurityEventSink } from '@acs/auth';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditAppendTap, AuditService } from './audit.service.js';

@Injectable()
export class AuditSecurityEventSink extends SecurityEventSink {
  constructor(private readonly audit: AuditService) {
    super();
  }

  async accessDenied(principal: Principal, route: string, requestId: string | undefined): Promise<void> {
    await this.audit.record({
      actor: actorOf(principal),
      action: 'access.denied',
      targetType: 'route',
      targetId: null,
      outcome: 'denied',
      requestId: requestId ?? null,
      details: { route: route.replace(/[^A-Za-z0-9._:/-]/g, '_').slice(0, 80) },
    });
  }

  async authEvent(e: AuthEvent): Promise<void> {
    await this.audit.record({
      actor: e.staffId ? { actorType: 'staff', actorId: e.staffId, role: null } : { actorType: 'anonymous', actorId: null, role: null },
      action: e.action,
      targetType: 'staff',
      targetId: e.targetId,
      outcome: e.outcome,
      requestId: e.requestId ?? null,
      details: e.details,
    });
  }
}

/** Audit service and the security sink, for every context (and the CLI). */
@Global()
@Module({
  providers: [AuditService, AuditAppendTap, AuditSecurityEventSink, { provide: SecurityEventSink, useExisting: AuditSecurityEventSink }],
  exports: [AuditService, AuditAppendTap, SecurityEventSink],
})
export class AuditCoreModule {}

/** The HTTP side: the audit trail API and the interceptor behind `@Audited`. */
@Module({
  imports: [AuditCoreModule],
  controllers: [AuditController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
})
export class AuditModule {}
