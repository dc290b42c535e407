export * from './entities.js';
export { ErasureService, keyPrefix, certificateHash, type ErasureData, type ErasureJobView, type PurgePreview, type ReaderConfirmation } from './erasure.service.js';
export { DsrService, addMonths, TEMPLATES_NOT_EXPORTED, type DsrCaseView } from './dsr.service.js';
export { scanFiles, scanFilesAsync, sqliteFiles, type FileScan } from './scan.js';
export { scanTables } from './table-scan.js';
export { ComplianceModule, AccessLogRetentionModule } from './compliance.module.js';
export { CertificateEvidence, type StoredCertificateCheck } from './certificates/certificate-evidence.js';
export { checkCertificate, type CertificateCheck } from './certificates/certificate-check.js';
export { certificateFileName, listCertificateFiles, writeDurably } from './certificates/evidence-files.js';
