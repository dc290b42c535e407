import type { Schemas } from '../../api';

/** Shapes of libs/compliance as the API returns them (generated from the OpenAPI document). */
export type ReaderConfirmation = Schemas['ReaderConfirmationView'];
export type ErasureJob = Schemas['ErasureJobView'];
export type PurgePreview = Schemas['PurgePreviewView'];
export type CertificateSummary = Schemas['CertificateSummaryView'];
export type LegalHold = Schemas['LegalHoldView'];
export type DsrCase = Schemas['DsrCaseView'];

/** The purge pipeline in order (ERASURE_STEPS); `step` on a job is the next one to run. */
export const ERASURE_STEPS = ['readers', 'server_data', 'history', 'key', 'physical', 'certificate'] as const;
export const STEP_LABELS: Record<string, string> = {
  readers: 'Delete templates on readers',
  server_data: 'Erase server data',
  history: 'Access history',
  key: 'Destroy data key',
  physical: 'Scrub database files',
  certificate: 'Issue certificate',
  done: 'Done',
};
export const DSR_KINDS = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'] as const;
export const IDENTITY_METHODS: Record<string, string> = {
  id_document_checked: 'ID document checked (copy not kept)',
  in_person: 'In person',
  known_contact: 'Known contact',
  customer_confirmed: 'Confirmed by the customer',
};
