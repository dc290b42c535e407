export * from './entities.js';
export { ErasureService, keyPrefix, certificateHash, type ErasureData, type ErasureJobView, type PurgePreview, type ReaderConfirmation } from './erasure.service.js';
export { DsrService, addMonths, TEMPLATES_NOT_EXPORTED, type DsrCaseView } from './dsr.service.js';
export { sqliteFiles, MIN_NEEDLE_BYTES, type FileScan } from './scan-paths.js';
export { scanFilesInChild, scanChildEntry } from './scan-process.js';
export { scanTables } from './table-scan.js';
export { ComplianceModule, AccessLogRetentionModule } from './compliance.module.js';
