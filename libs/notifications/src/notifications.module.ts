import { Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { AuthModule } from '@acs/auth';
import { RegistryModule } from '@acs/registry';
import { Mailer } from './mailer.js';
import { NotificationsController } from './notifications.controller.js';
import { Notifications } from './notifications.service.js';
import { OutboxWorker } from './outbox-worker.js';
import { NotificationWatchers } from './watchers.js';

/** Settings and queueing, for the libs whose changes are notified (access requests) or erased (compliance). */
@Module({
  imports: [RegistryModule],
  providers: [Notifications],
  exports: [Notifications],
})
export class NotificationsCoreModule {}

/** The routes, the outbox worker and the watchers (denials in a row, grants ending). */
@Module({
  imports: [NotificationsCoreModule, AuthModule, AccessLogCoreModule],
  controllers: [NotificationsController],
  providers: [Mailer, OutboxWorker, NotificationWatchers],
  exports: [NotificationsCoreModule, OutboxWorker, NotificationWatchers],
})
export class NotificationsModule {}
