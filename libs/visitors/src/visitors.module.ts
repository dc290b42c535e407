import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { ComplianceModule } from '@acs/compliance';
import { NotificationsCoreModule } from '@acs/notifications';
import { RegistryModule } from '@acs/registry';
import { VisitorErasure } from './visitor-erasure.js';
import { VisitorService } from './visitor.service.js';
import { VisitorSweep } from './visitor-sweep.js';
import { VisitorsController } from './visitors.controller.js';

/** Visitors (issue 20): registered by customers, checked in and out at the desk, erased after their retention period. */
@Module({
  imports: [AuthModule, AuditCoreModule, RegistryModule, ComplianceModule, NotificationsCoreModule],
  controllers: [VisitorsController],
  providers: [VisitorService, VisitorErasure, VisitorSweep],
  exports: [VisitorService],
})
export class VisitorsModule {}
