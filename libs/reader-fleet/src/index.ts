export {
  FingerprintTemplateEntity,
  ReaderSlotEntity,
  ReaderOpEntity,
  ReaderReconciliationEntity,
  READER_FLEET_ENTITIES,
  type SlotState,
  type ReaderOpKind,
  type ReaderOpState,
} from './entities.js';
export { ReaderManager, driverModel, type ManagedReaderView } from './reader-manager.js';
export { TemplateVault, templateAad, type TemplateOwner } from './template-vault.js';
export { countTemplates, readersHolding, type ReaderHolding } from './template-presence.js';
export { TemplateStore, type FingerprintRecord, type NewTemplate } from './template-store.js';
export {
  ReaderLibraryService,
  type SlotOwner,
  type ErasureSubject,
  type ErasureTicket,
  type ReaderErasureStatus,
  type ReaderLibraryView,
  type ReconciliationView,
} from './reader-library.service.js';
export { readerOutboxSummary } from './outbox-summary.js';
export { TemplateFingerCounts } from './finger-counts.js';
export { ReaderFleetModule } from './reader-fleet.module.js';
