/** Shapes of libs/compliance (erasure.service.ts, dsr.service.ts, entities.ts) as the API returns them. */
export interface ReaderConfirmation {
  readerId: string;
  confirmedAt: number | null;
  remainingSlots: number;
  pendingOps: number;
}

export interface ErasureJob {
  id: string;
  kind: 'customer' | 'person' | 'biometrics';
  customerId: string;
  personId: string | null;
  state: 'running' | 'waiting_for_devices' | 'held' | 'done';
  step: string;
  trigger: string;
  requestedBy: string | null;
  caseId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  outstandingReaders: ReaderConfirmation[];
  deferred: string[];
  lastError: string | null;
  certificateIds: string[];
}

export interface PurgePreview {
  customerId: string;
  contractRef: string;
  status: string;
  due: boolean;
  dueAt: string | null;
  people: number;
  templates: number;
  readersHoldingTemplates: number;
  historyEvents: number;
  historyPolicy: string;
  legalHolds: number;
  dataKeyPresent: boolean;
}

export interface CertificateSummary {
  id: string;
  jobId: string;
  kind: string;
  customerId: string;
  personId: string | null;
  complete: boolean;
  issuedAt: string;
  hash: string;
}

export interface LegalHold {
  id: string;
  customerId: string;
  personId: string | null;
  reason: string;
  reference: string;
  placedBy: string;
  placedAt: number | string;
  releasedBy: string | null;
  releasedAt: number | string | null;
  releaseReason: string | null;
}

export interface DsrCase {
  id: string;
  kind: string;
  personId: string;
  customerId: string;
  receivedAt: string;
  identityMethod: string;
  identityCheckedBy: string;
  identityCheckedAt: string;
  dueAt: string;
  extended: boolean;
  extensionReason: string | null;
  status: string;
  overdue: boolean;
  outcome: string | null;
  closedAt: string | null;
}

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
