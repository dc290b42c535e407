export { ACCESS_CREDENTIALS, type AccessCredential, type AccessEvent, type AccessEventInput, type AppendFenceRef, FOLLOW_UP_REASONS } from './model.js';
export { AccessEventEntity, ACCESS_EVENT_COLUMNS, toRow, type AccessEventRow } from './access-event.entity.js';
export {
  accessEventHash,
  AccessChainVerifier,
  chainOnto,
  GENESIS_HASH as ACCESS_GENESIS_HASH,
  type AccessChainBreak,
  type AccessChainVerdict,
  type ChainedAccessFields,
} from './access-chain.js';
export { Batcher, ItemFailure, type BatcherOptions } from './batcher.js';
export {
  AccessLogService,
  ACCESS_LOG_OPTIONS,
  ACCESS_LOG_FENCE,
  type AppendFence,
  DEFAULT_ACCESS_LOG_OPTIONS,
  type AccessLogOptions,
  type AppendReceipt,
  type AccessEventFilter,
  type AccessEventPage,
  type AccessTotals,
  type DoorDayTotal,
} from './access-log.service.js';
export {
  AccessLogExporter,
  EXPORT_COLUMNS,
  EXPORT_FORMATS,
  neutraliseFormula,
  type AccessLogExport,
  type ExportFormat,
  type ExportOptions,
  type ExportRecord,
} from './access-log.exporter.js';
export { AccessHistoryErasure, type ChainHead } from './history-erasure.js';
export { countCustomerEvents } from './history-presence.js';
export { historyChainHeads, historyHashesAt, type ChainOwners } from './chain-heads.js';
export { PersonHistory } from './person-history.js';
export { AttemptFeed, type FedEvent } from './attempt-feed.js';
export { LocalTimeFormatter } from './local-time.js';
export { PassageHistory, type GrantedPassage } from './passage-history.js';
export { DEFAULT_RETENTION_POLICY, retentionState, type AccessLogRetentionPolicy, type RetentionStatus, type RetentionState } from './retention.js';
export { AccessEventTap } from './access-event-tap.js';
export { AccessLogModule, AccessLogCoreModule } from './access-log.module.js';
export { AccessLogRetentionModule } from './retention-port.js';
export { AccessLogFenceModule } from './fence-port.js';
export { AccessLogSpool, AccessLogSpoolModule } from './spool/access-log-spool.js';
export { EventSpool, type SpooledEvent } from './spool/event-spool.js';
export { degradedRoute, type DegradedRoute, type DegradedRouteInput } from './spool/degraded-route.js';
export { replaySpool, SpoolReplayer, REPLAY_BATCH, type ReplayReport } from './spool/spool-replayer.js';
