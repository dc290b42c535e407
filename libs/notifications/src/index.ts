export { NotificationsModule, NotificationsCoreModule } from './notifications.module.js';
export { Notifications, type SettingsView, type OutboxRowView, type Recipient } from './notifications.service.js';
export { OutboxWorker, type RoundReport } from './outbox-worker.js';
export { NotificationWatchers } from './watchers.js';
export {
  NOTIFICATION_ENTITIES,
  NOTIFICATION_KINDS,
  OUTBOX_STATUSES,
  NotificationOutboxEntity,
  NotificationSettingEntity,
  DenialCursorEntity,
  type NotificationKind,
  type OutboxStatus,
} from './entities.js';
export { mailFor, streakReached, endsWithin, afterFailure, retryDelayMs, type Payloads } from './rules.js';
