import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ACCESS_LOG_OPTIONS, AccessLogModule, type AccessLogOptions } from '@acs/access-log';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { AppConfig } from '@acs/config';
import { CryptoModule } from '@acs/crypto';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { RegistryModule } from '@acs/registry';
import { ComplianceController } from './compliance.controller.js';
import { CertificateEvidence } from './certificates/certificate-evidence.js';
import { CheckpointModule } from './checkpoints/checkpoint.module.js';
import { UndonePurgeMonitor } from './certificates/undone-purge.monitor.js';
import { DsrService } from './dsr.service.js';
import { ErasureService } from './erasure.service.js';
import { PurgeScheduler } from './purge.scheduler.js';

/**
 * The retention policy the access log reports, from configuration. Global because the access
 * log resolves the token from its own module; history is erased (or pseudonymised) at
 * end of service plus the purge grace period.
 */
@Global()
@Module({
  providers: [
    {
      provide: ACCESS_LOG_OPTIONS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Partial<AccessLogOptions> => ({
        retention: {
          ...(config.HISTORY_RETENTION === 'pseudonymise'
            ? { mode: 'pseudonymise' as const, keepDays: config.HISTORY_KEEP_DAYS }
            : { mode: 'until_end_of_service' as const }),
          graceDays: config.PURGE_GRACE_DAYS,
          // The statement's policy unless an operator changed it.
          source: config.PURGE_GRACE_DAYS === 0 && config.HISTORY_RETENTION === 'delete' ? 'default' : 'configuration',
        },
      }),
    },
  ],
  exports: [ACCESS_LOG_OPTIONS],
})
export class AccessLogRetentionModule {}

/** End of service and data-subject rights (issue 9). */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    AccessLogRetentionModule,
    CheckpointModule,
    AuthModule,
    AuditCoreModule,
    CryptoModule,
    RegistryModule,
    ReaderFleetModule,
    AccessLogModule,
  ],
  controllers: [ComplianceController],
  providers: [ErasureService, DsrService, PurgeScheduler, CertificateEvidence, UndonePurgeMonitor],
  exports: [ErasureService, DsrService, CertificateEvidence, CheckpointModule, UndonePurgeMonitor],
})
export class ComplianceModule {}
