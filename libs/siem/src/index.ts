export { SiemOutboxEntity } from './siem-outbox.entity.js';
export { SiemModule } from './siem.module.js';
export { SiemOutbox, siemOutboxSummary, type OutboxSummary } from './siem-outbox.js';
export { SyslogSender, backoffMs, overLimit, type SiemFailure, type SiemStatus } from './syslog-sender.js';
export { SiemFeeds } from './siem-feeds.js';
export { SiemAuditFeed, SiemAuditFeedModule } from './siem-audit-feed.js';
export { fromAccessEvent, fromAuditEntry, fromDoorAlarm, auditRule, SIEM_CATEGORIES, type SiemCategory, type SiemEvent } from './siem-events.js';
export { siemMessage, cefRecord, APP_NAME, type MessageSettings, type QueuedSiemEvent, type SiemFormat } from './siem-message.js';
export {
  BOM,
  escapeParamValue,
  formatSyslog,
  headerField,
  isSdName,
  msgPart,
  NILVALUE,
  octetFrame,
  SEVERITY,
  structuredData,
  type SdElement,
  type Severity,
  type SyslogMessage,
} from './rfc5424.js';
export { cefSeverity, escapeCefHeader, escapeCefValue, formatCef, type CefEvent } from './cef.js';
