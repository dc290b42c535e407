import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { CryptoModule } from '@acs/crypto';
import { HealthModule } from '@acs/health';
import { RegistryModule } from '@acs/registry';
import { EnrolmentsController, PersonFingerprintsController, ReaderLibrariesController } from './enrollment.controller.js';
import { EnrollmentService } from './enrollment.service.js';
import { EnrolmentRouter } from './enrolment-router.js';
import { FingerCountsModule } from './finger-counts.js';
import { ReaderLibraryService } from './reader-library.service.js';
import { ReaderManager } from './reader-manager.js';
import { TemplateVault } from './template-vault.js';

const SERVICES = [ReaderManager, TemplateVault, ReaderLibraryService, EnrollmentService, EnrolmentRouter];

/** Enrolment, reader manager and reader libraries kept in step (issue 6). */
@Module({
  imports: [AuthModule, AuditCoreModule, CryptoModule, HealthModule, RegistryModule, FingerCountsModule],
  controllers: [EnrolmentsController, PersonFingerprintsController, ReaderLibrariesController],
  providers: SERVICES,
  exports: SERVICES,
})
export class EnrollmentModule {}
