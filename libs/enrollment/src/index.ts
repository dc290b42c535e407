export * from './entities.js';
export {
  planLibrary,
  nextOpState,
  MAX_OP_ATTEMPTS,
  type LibraryPlan,
  type LibraryPlanInput,
  type SlotFact,
  type OpOutcome,
  type OpProgress,
} from './planner.js';
export { ReaderManager, driverModel, type ManagedReaderView } from './reader-manager.js';
export { TemplateVault, templateAad, type TemplateOwner } from './template-vault.js';
export {
  ReaderLibraryService,
  type SlotOwner,
  type ErasureSubject,
  type ErasureTicket,
  type ReaderErasureStatus,
  type ReaderLibraryView,
  type ReconciliationView,
} from './reader-library.service.js';
export { EnrollmentService, type EnrolmentView, type EnrolmentStatus, type EnrolmentPrompt } from './enrollment.service.js';
export { EnrollmentModule } from './enrollment.module.js';
export { TemplateFingerCounts, FingerCountsModule } from './finger-counts.js';
