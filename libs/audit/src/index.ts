/** The entity class is exported for @acs/schema (the apps' entity list) only; other libs use AuditService and AuditEntry. */
export { AuditEntryEntity } from './audit-entry.entity.js';
export type { ChainVerdict } from './audit-chain.js';
export { auditChainHead, auditHashAt, type AuditChainHead } from './audit-chain-head.js';
export {
  AUDIT_ENTRY_TARGET,
  AuditAppendTap,
  AuditService,
  type AuditEntry,
  type AuditRecord,
  type AuditActor,
  type AuditQuery,
  type RecordOnceResult,
} from './audit.service.js';
export { AuditModule, AuditCoreModule } from './audit.module.js';
