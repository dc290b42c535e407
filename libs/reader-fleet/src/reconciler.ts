import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { FingerprintError, FingerprintErrorCode } from '@acs/fingerprint';
import { ReaderOpEntity, ReaderReconciliationEntity, ReaderSlotEntity } from './entities.js';
import { errorText, maxSeq, newOp, type LibraryStore, type ReaderAccess } from './outbox.js';
import { slotOccupied } from './outbox-worker.js';

export interface ReconciliationView {
  at: number;
  found: number;
  expected: number;
  missingPushed: number;
  ghostsDeleted: number;
  error: string | null;
}

export interface ReconcilerDeps {
  store: LibraryStore;
  readers: ReaderAccess;
  /** New outbox work may have been queued for the reader. */
  kick(readerId: string): void;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Reads a module's index table and brings it in line with the bookkeeping: a stored slot the
 * module lacks is pushed again; an occupied slot the server does not know is a biometric ghost
 * and is deleted at once (the module flash is a biometric database: docs/r503-protocol.md §Module
 * security). Enrolment readers must hold nothing: everything there is a ghost. One reconciliation
 * per reader at a time; each is recorded in `reader_reconciliation`.
 */
export class Reconciler {
  private readonly running = new Map<string, Promise<ReconciliationView | null>>();
  /** Latest reconciliation per reader in this process (rows at the same clock instant cannot be ordered). */
  private readonly latest = new Map<string, ReconciliationView>();
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Null when the reader is not ready, paused, or this process is stopping. */
  reconcile(readerId: string): Promise<ReconciliationView | null> {
    const running = this.running.get(readerId);
    if (running) return running;
    const run = this.reconcileOnce(readerId).finally(() => this.running.delete(readerId));
    this.running.set(readerId, run);
    return run;
  }

  last(readerId: string): ReconciliationView | undefined {
    return this.latest.get(readerId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.running.values());
  }

  private async reconcileOnce(readerId: string): Promise<ReconciliationView | null> {
    const { readers, store } = this.deps;
    if (this.stopped || !readers.isReady(readerId) || readers.isPaused(readerId)) return null;
    const now = () => store.clock.nowMs();
    let view: ReconciliationView;
    try {
      view = await readers.withReader(readerId, async (reader) => {
        const present = new Set(await reader.listTemplateIds());
        const slots = await store.ds.getRepository(ReaderSlotEntity).find({ where: { readerId } });
        const known = new Set(slots.map((s) => s.slot));
        const ghosts = [...present].filter((slot) => !known.has(slot));
        for (const slot of ghosts) {
          await reader.deleteTemplates(slot, 1);
          if (await slotOccupied(reader, slot)) throw new FingerprintError(FingerprintErrorCode.Protocol, `ghost in slot ${slot} survived DeletChar`);
        }
        const missing = slots.filter((s) => s.state === 'stored' && !present.has(s.slot));
        // Bookkeeping whose op was parked as failed (or lost): give it a new op, or settle it
        // from what the index table just showed. An `empty` pending makes all of this moot.
        // The id is selected too: TypeORM drops a row whose selected columns are all null, which
        // hid a pending Empty (slot null) from this check.
        const pendingOps = await store.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: 'pending' }, select: { id: true, slot: true } });
        const owed = new Set(pendingOps.map((o) => o.slot));
        const orphans = owed.has(null) ? [] : slots.filter((s) => s.state !== 'stored' && !owed.has(s.slot));
        const at = now();
        if (missing.length > 0 || orphans.length > 0) {
          await store.tx(
            async (m) => {
              let seq = await maxSeq(m);
              for (const s of missing) {
                await m.update(ReaderSlotEntity, { readerId, slot: s.slot, state: 'stored' }, { state: 'storing', updatedAt: at });
                await m.insert(ReaderOpEntity, newOp(readerId, 'store', s.slot, s.templateId, ++seq, at));
              }
              for (const s of orphans) {
                if (s.state === 'storing') await m.insert(ReaderOpEntity, newOp(readerId, 'store', s.slot, s.templateId, ++seq, at));
                else if (present.has(s.slot)) await m.insert(ReaderOpEntity, newOp(readerId, 'delete', s.slot, null, ++seq, at));
                else await m.delete(ReaderSlotEntity, { readerId, slot: s.slot, state: 'deleting' });
              }
            },
            [readerId],
          );
        }
        return {
          at,
          found: present.size,
          expected: slots.filter((s) => s.state !== 'deleting').length,
          missingPushed: missing.length,
          ghostsDeleted: ghosts.length,
          error: null,
        };
      });
    } catch (err) {
      view = { at: now(), found: 0, expected: 0, missingPushed: 0, ghostsDeleted: 0, error: errorText(err) };
    }
    await store.tx((m) => m.insert(ReaderReconciliationEntity, { id: randomUUID(), readerId, ...view }), []);
    this.latest.set(readerId, view);
    if (view.ghostsDeleted > 0 || view.missingPushed > 0) {
      this.deps.logger.warn(
        `reader ${readerId}: reconciliation found drift: ${view.ghostsDeleted} ghost(s) deleted, ${view.missingPushed} missing template(s) queued`,
      );
    }
    this.deps.kick(readerId);
    return view;
  }
}
