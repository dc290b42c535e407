export { AuditEntryEntity } from './audit-entry.entity.js';
export type { ChainVerdict } from './audit-chain.js';
export { AuditService, type AuditRecord, type AuditActor, type AuditQuery } from './audit.service.js';
export { AuditModule, AuditCoreModule } from './audit.module.js';
