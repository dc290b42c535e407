import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { RegistryModule } from '@acs/registry';
import { EnrolmentsController, PersonFingerprintsController, ReaderLibrariesController } from './enrolment.controller.js';
import { EnrolmentService } from './enrolment.service.js';
import { EnrolmentRouter } from './enrolment-router.js';

const SERVICES = [EnrolmentService, EnrolmentRouter];

/** Enrolment at the desk (issue 6); the readers and their libraries are `@acs/reader-fleet`'s. */
@Module({
  imports: [AuthModule, AuditCoreModule, RegistryModule, ReaderFleetModule],
  controllers: [EnrolmentsController, PersonFingerprintsController, ReaderLibrariesController],
  providers: SERVICES,
  exports: SERVICES,
})
export class EnrolmentModule {}
