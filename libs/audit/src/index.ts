export { AuditEntryEntity, type AuditOutcome } from './audit-entry.entity.js';
export { auditHash, ChainVerifier, GENESIS_HASH, type ChainVerdict, type ChainBreak, type ChainedAuditFields } from './audit-chain.js';
export { AuditService, assertSafeDetails, type AuditRecord, type AuditActor, type AuditQuery } from './audit.service.js';
export { AuditInterceptor } from './audit.interceptor.js';
export { AuditModule, AuditCoreModule, AuditSecurityEventSink } from './audit.module.js';
