import { Module } from '@nestjs/common';
import { AuditCoreModule } from '@acs/audit';
import { AuthModule } from '@acs/auth';
import { CardFleetModule } from '@acs/card-fleet';
import { CredentialsModule } from '@acs/credentials';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { RegistryModule } from '@acs/registry';
import { CustomerEnrolmentController, EnrolmentsController, PersonFingerprintsController, ReaderLibrariesController } from './enrolment.controller.js';
import { CardDeskService } from './card-desk.service.js';
import { CardsController, CustomerCardsController } from './cards.controller.js';
import { EnrolmentService } from './enrolment.service.js';
import { EnrolmentRouter } from './enrolment-router.js';

const SERVICES = [EnrolmentService, EnrolmentRouter, CardDeskService];

/**
 * Enrolment at the desk (issue 6) and the desk's card flows (issue 17); the readers are
 * `@acs/reader-fleet`'s and `@acs/card-fleet`'s, the cards `@acs/credentials`'.
 */
@Module({
  imports: [AuthModule, AuditCoreModule, RegistryModule, ReaderFleetModule, CardFleetModule, CredentialsModule],
  controllers: [
    EnrolmentsController,
    PersonFingerprintsController,
    CustomerEnrolmentController,
    ReaderLibrariesController,
    CardsController,
    CustomerCardsController,
  ],
  providers: SERVICES,
  exports: SERVICES,
})
export class EnrolmentModule {}
