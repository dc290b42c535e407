export { COMPLIANCE_ENTITIES, ERASURE_KINDS, ErasureCertificateEntity, ErasureJobEntity, type ErasureKind } from './entities.js';
export {
  ErasureService,
  keyPrefix,
  certificateHash,
  type ErasureData,
  type ErasureJobView,
  type PurgePreview,
  type ReaderConfirmation,
} from './erasure.service.js';
export { erasureFigures, type ErasureFigures } from './erasure/erasure-figures.js';
export { ErasureProbe, type ErasureProbeListener } from './erasure/erasure-probe.js';
export { type ErasureParticipant, type ParticipantSubject } from './erasure/erasure-participants.js';
export { DsrService, addMonths, TEMPLATES_NOT_EXPORTED, type DsrCaseView } from './dsr.service.js';
export { sqliteFiles, MIN_NEEDLE_BYTES, type FileScan } from './scan-paths.js';
export { scanFilesInChild, scanChildEntry } from './scan-process.js';
export { scanTables } from './table-scan.js';
export { ComplianceModule } from './compliance.module.js';
export { historyRetentionPolicy } from './history-retention.js';
export { CertificateEvidence, type StoredCertificateCheck } from './certificates/certificate-evidence.js';
export { checkCertificate, type CertificateCheck } from './certificates/certificate-check.js';
export { certificateFileName, listCertificateFiles, writeDurably } from './certificates/evidence-files.js';
export { CheckpointService, type CheckpointStatus } from './checkpoints/checkpoint.service.js';
export { verifyAgainstCheckpoints, type CheckpointVerification } from './checkpoints/checkpoint-verify.js';
export {
  compareWithCheckpoint,
  describeFinding,
  type CheckpointBody,
  type CheckpointComparison,
  type CheckpointFinding,
} from './checkpoints/checkpoint-compare.js';
export { readChainHeads, hashesAt, type ChainHeads } from './checkpoints/chain-heads.js';
export { appendCheckpoint, newestCheckpoint, lineHash } from './checkpoints/checkpoint-log.js';
export { findUndonePurges, type UndonePurge, type FolderComparison } from './certificates/undone-purges.js';
export { queueReapply, type ReapplyPlan } from './certificates/reapply.js';
export { UndonePurgeMonitor } from './certificates/undone-purge.monitor.js';
export { CheckpointModule } from './checkpoints/checkpoint.module.js';
