import { Module } from '@nestjs/common';
import { AccessLogModule } from '@acs/access-log';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { CredentialsModule } from '@acs/credentials';
import { CryptoModule } from '@acs/crypto';
import { NotificationsCoreModule } from '@acs/notifications';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { RegistryModule } from '@acs/registry';
import { ComplianceController } from './compliance.controller.js';
import { CustomerRequestsController } from './customer-requests.controller.js';
import { CertificateEvidence } from './certificates/certificate-evidence.js';
import { CheckpointModule } from './checkpoints/checkpoint.module.js';
import { UndonePurgeMonitor } from './certificates/undone-purge.monitor.js';
import { DsrService } from './dsr.service.js';
import { ErasureService } from './erasure.service.js';
import { ErasureCertificates } from './erasure/erasure-certificates.js';
import { ErasureJobs } from './erasure/erasure-jobs.js';
import { ErasureParticipants } from './erasure/erasure-participants.js';
import { ErasureProbe } from './erasure/erasure-probe.js';
import { ErasureSteps } from './erasure/erasure-steps.js';
import { LegalHolds } from './erasure/legal-holds.js';
import { ErasureNeedles } from './erasure/needles.js';
import { PhysicalErasure } from './erasure/physical-step.js';
import { PurgeScheduler } from './purge.scheduler.js';

/** End of service and data-subject rights (issue 9). */
@Module({
  imports: [
    CheckpointModule,
    AuthModule,
    AuditCoreModule,
    CryptoModule,
    RegistryModule,
    ReaderFleetModule,
    AccessLogModule,
    CredentialsModule,
    NotificationsCoreModule,
  ],
  controllers: [ComplianceController, CustomerRequestsController],
  providers: [
    ErasureService,
    ErasureJobs,
    ErasureSteps,
    PhysicalErasure,
    ErasureCertificates,
    LegalHolds,
    ErasureNeedles,
    ErasureParticipants,
    ErasureProbe,
    DsrService,
    PurgeScheduler,
    CertificateEvidence,
    UndonePurgeMonitor,
  ],
  exports: [ErasureService, ErasureProbe, DsrService, CertificateEvidence, CheckpointModule, UndonePurgeMonitor],
})
export class ComplianceModule {}
