import type { ReaderHolding } from '@acs/reader-fleet';
import type { ErasureKind, ErasureStep } from '../entities.js';
import type { FileScan } from '../scan-paths.js';
import type { DeferrablePart } from './erasure-policy.js';

export interface ReaderConfirmation {
  readerId: string;
  confirmedAt: number | null;
  remainingSlots: number;
  pendingOps: number;
}

/** Everything the certificate is built from: ids, counts, hashes, times. No personal data. */
export interface ErasureData {
  keyId: string | null;
  contractRef: string;
  serviceEnd: number | null;
  steps: Partial<Record<ErasureStep, { startedAt: number; finishedAt?: number }>>;
  readers?: { readerIds: string[]; deletesQueued: number; confirmations: Record<string, ReaderConfirmation> };
  counts: Record<string, number>;
  history?: {
    mode: 'delete' | 'pseudonymise' | 'strip_person';
    events: number;
    erasedHeadSeq: number | null;
    erasedHeadHash: string | null;
    newHeadSeq?: number | null;
    newHeadHash?: string | null;
    keepUntil?: number | null;
    expiredAt?: number | null;
  };
  key?: { destroyed: boolean; reason?: string };
  physical?: {
    /** Absent: SQLite (the default, for certificates issued before PostgreSQL support). */
    driver?: 'postgres';
    /** SQLite: the WAL checkpoint after the deletes. */
    checkpoint?: { busy: number; log: number; checkpointed: number };
    /** SQLite: VACUUM ran because the scan still found a value; PostgreSQL: VACUUM always runs. */
    vacuumed: boolean;
    /** PostgreSQL: the tables vacuumed after the deletes, and how long it took. */
    vacuum?: { tables: string[]; ms: number };
    /** `cards`: card blind indexes and PIN hashes looked for (absent in certificates issued before cards). */
    values: { plaintext: number; ciphertext: number; cards?: number; keyPrefix: boolean; collectedInThisRun: boolean };
    /** SQLite: db, wal and shm files; PostgreSQL: `table:<name>` for every table. */
    files: FileScan[];
    clean: boolean;
    /** Wall time of the checkpoint(s) and of the scan(s), for the benchmark and the curious. */
    checkpointMs?: number;
    scanMs?: number;
  };
  /** Parts postponed by a legal hold, with the hold ids. */
  deferred?: { parts: string[]; holdIds: string[] };
  certificateIds: string[];
  /** A re-application after a restored backup brought the data back: the signed certificates it repeats. */
  reapplies?: string[];
}

export interface ErasureJobView {
  id: string;
  kind: ErasureKind;
  customerId: string;
  personId: string | null;
  state: string;
  step: string;
  trigger: string;
  requestedBy: string | null;
  caseId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Readers whose deletes are not yet verified (offline readers keep the job waiting). */
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

export const DAY_MS = 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();

/** Writes down that a hold postpones `part` (the holds' ids go on the certificate). */
export function defer(data: ErasureData, part: DeferrablePart, holdIds: readonly string[]): void {
  data.deferred ??= { parts: [], holdIds: [] };
  if (!data.deferred.parts.includes(part)) data.deferred.parts.push(part);
  for (const id of holdIds) if (!data.deferred.holdIds.includes(id)) data.deferred.holdIds.push(id);
}

/** `part` was erased after all (the hold was released): it is no longer deferred. */
export function undefer(data: ErasureData, part: DeferrablePart): void {
  if (data.deferred) data.deferred.parts = data.deferred.parts.filter((p) => p !== part);
}

/**
 * Writes down which readers hold the subject before anything is erased (the job's data at
 * creation): deletes verified later, by the erasure or by the fleet's own re-planning of an ended
 * customer, make the bookkeeping forget a reader, and the certificate must still name it.
 */
export function recordHolders(data: ErasureData, holders: readonly ReaderHolding[]): NonNullable<ErasureData['readers']> {
  const deletesQueued = holders.reduce((n, h) => n + h.slots, 0);
  data.readers = { readerIds: holders.map((h) => h.readerId), deletesQueued, confirmations: {} };
  data.counts.readerSlots = deletesQueued;
  return data.readers;
}
