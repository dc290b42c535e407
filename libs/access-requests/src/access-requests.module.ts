import { Module } from '@nestjs/common';
import { AuthModule } from '@acs/auth';
import { NotificationsCoreModule } from '@acs/notifications';
import { RegistryModule } from '@acs/registry';
import { AccessRequestsController } from './access-requests.controller.js';
import { AccessRequestService } from './access-request.service.js';

/** The customer portal's access requests: filed by customers, decided by staff, applied through the registry. */
@Module({
  imports: [AuthModule, RegistryModule, NotificationsCoreModule],
  controllers: [AccessRequestsController],
  providers: [AccessRequestService],
  exports: [AccessRequestService],
})
export class AccessRequestsModule {}
