import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@acs/clock';
import { FingerprintError, FingerprintErrorCode } from '@acs/fingerprint';
import { ReaderOpEntity, ReaderSlotEntity, type ReaderOpKind } from './entities.js';
import type { ReaderManager } from './reader-manager.js';

/**
 * What the outbox worker, the reconciler and the planner share: the database, a write transaction
 * that also invalidates the slot directory (every write may change the slot bookkeeping), and the
 * clock.
 */
export interface LibraryStore {
  readonly ds: DataSource;
  readonly clock: Clock;
  /** A write; `readerIds`: the only readers whose slots it may change (all when omitted). */
  tx<T>(work: (m: EntityManager) => Promise<T>, readerIds?: readonly string[]): Promise<T>;
}

/** The part of `ReaderManager` the worker and the reconciler drive readers through. */
export type ReaderAccess = Pick<ReaderManager, 'has' | 'isReady' | 'isPaused' | 'withReader'>;

/** Transient: the reader will come back; the op waits for it without burning attempts toward `failed`. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof FingerprintError)) return false;
  return [
    FingerprintErrorCode.NotReady,
    FingerprintErrorCode.Disconnected,
    FingerprintErrorCode.Timeout,
    FingerprintErrorCode.Closed,
    FingerprintErrorCode.Protocol,
  ].includes(err.code);
}

export function errorText(err: unknown): string {
  const e = err as Error;
  const code = err instanceof FingerprintError ? err.code : 'ERROR';
  return `${code}: ${e?.message ?? String(err)}`.slice(0, 255);
}

export async function maxSeq(m: EntityManager): Promise<number> {
  const row = await m.createQueryBuilder(ReaderOpEntity, 'o').select('MAX(o.seq)', 'max').getRawOne<{ max: number | string | null }>();
  return Number(row?.max ?? 0);
}

export function newOp(readerId: string, kind: ReaderOpKind, slot: number | null, templateId: string | null, seq: number, now: number): ReaderOpEntity {
  return Object.assign(new ReaderOpEntity(), {
    id: randomUUID(),
    seq,
    readerId,
    kind,
    templateId,
    slot,
    state: 'pending',
    attempts: 0,
    lastError: null,
    createdAt: now,
    doneAt: null,
  });
}

/**
 * Mark a slot `deleting` and queue its delete; a pending store into that slot is superseded (a
 * store already on the wire is harmless: the delete follows it in order). Returns the new seq.
 */
export async function enqueueDelete(m: EntityManager, readerId: string, slot: number, seq: number, now: number, opIds?: string[]): Promise<number> {
  await m.update(ReaderSlotEntity, { readerId, slot }, { state: 'deleting', updatedAt: now });
  await m.update(ReaderOpEntity, { readerId, slot, kind: 'store', state: 'pending' }, { state: 'skipped', lastError: 'superseded', doneAt: now });
  const op = newOp(readerId, 'delete', slot, null, seq + 1, now);
  await m.insert(ReaderOpEntity, op);
  opIds?.push(op.id);
  return seq + 1;
}
