import type { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import { ReaderOpEntity, ReaderSlotEntity } from './entities.js';
import { enqueueDelete, errorText, isTransient, maxSeq, type LibraryStore, type ReaderAccess } from './outbox.js';
import { deleteRuns, inRuns, nextOpState, type OpOutcome } from './planner.js';

/** Deletes taken from the head of a reader's outbox at once (a purge of a full 1,000-slot module is ten turns). */
const DELETE_BATCH = 100;
/** DeletChar commands per reader job: 8 x (16 + 12 bytes) is under 40 ms of a 57,600 baud line. */
const DELETE_RUNS_PER_JOB = 8;

export interface OutboxWorkerDeps {
  store: LibraryStore;
  readers: ReaderAccess;
  /** The template in clear for a store op, or null when it was deleted meanwhile. */
  openTemplate(templateId: string): Promise<Buffer | null>;
  /** A reader not open in this process: tell its owner (another instance) there is work. */
  elsewhere(readerId: string): void;
  /** An Empty completed: the reader must be planned again. */
  emptied(readerId: string): void;
  /** Delay before a worker retries after a failed op. */
  retryDelayMs(): number;
  logger: Pick<Logger, 'warn'>;
  /** Called each time a reader's worker stops (outbox empty, reader away, or a retry scheduled). */
  idle?(readerId: string): void;
}

/**
 * Applies a reader's outbox (`reader_op`) in order, one worker per reader, each operation through
 * the reader's lock and verified with ReadIndexTable. Ops are idempotent on the module, so a crash
 * between the module acting and `done` being written simply repeats them.
 */
export class OutboxWorker {
  private readonly workers = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /** Readers whose outbox work last stopped on the bookkeeping itself (warned once until it works again). */
  private readonly unreadable = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: OutboxWorkerDeps) {}

  /** Start the reader's worker if it is not running. */
  kick(readerId: string): void {
    if (this.stopped) return;
    if (!this.deps.readers.has(readerId)) {
      // Wired to another instance (or not open here): its owner works the outbox.
      this.deps.elsewhere(readerId);
      return;
    }
    if (this.workers.has(readerId)) return;
    const run = this.work(readerId)
      .then(
        () => void this.unreadable.delete(readerId),
        (err: unknown) => {
          // The bookkeeping could not be read or written (the database away, degraded mode): the
          // ops stay pending in it, so try again later, as after a failed op; said once per outage.
          if (!this.unreadable.has(readerId)) this.deps.logger.warn(`reader ${readerId}: outbox work stopped: ${errorText(err)}`);
          this.unreadable.add(readerId);
          this.scheduleRetry(readerId);
        },
      )
      .finally(() => {
        this.workers.delete(readerId);
        this.deps.idle?.(readerId);
      });
    this.workers.set(readerId, run);
  }

  /** No new work; resolves when the running workers have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.allSettled(this.workers.values());
  }

  private async work(readerId: string): Promise<void> {
    const { readers, store } = this.deps;
    while (!this.stopped) {
      if (!readers.isReady(readerId) || readers.isPaused(readerId)) return; // 'ready'/'resumed' restart us
      const op = await store.ds.getRepository(ReaderOpEntity).findOne({ where: { readerId, state: 'pending' }, order: { seq: 'ASC' } });
      if (!op) return;
      if (op.kind === 'delete') {
        if (await this.workDeletes(readerId)) continue;
        return;
      }
      let outcome: OpOutcome;
      try {
        await readers.withReader(readerId, (reader) => this.apply(reader, op));
        outcome = { ok: true };
      } catch (err) {
        if (err instanceof TemplateGone) {
          await this.templateGone(op);
          continue;
        }
        outcome = { ok: false, error: errorText(err), transient: isTransient(err) };
      }
      // The refill plan is asked for twice. Before the completion is written: on SQLite's shared
      // connection `done` is visible while its transaction still runs, and whoever sees it must
      // also see a plan pending. After: a plan that ran before the commit saw the old slots still
      // reserved (a full module plans no store), so the one that refills must start after it.
      const emptied = outcome.ok && op.kind === 'empty';
      if (emptied) this.deps.emptied(readerId);
      await this.complete(op, outcome);
      if (emptied) this.deps.emptied(readerId);
      if (!outcome.ok) {
        this.deps.logger.warn(`reader ${readerId}: ${op.kind} op ${op.id} failed (attempt ${op.attempts + 1}): ${outcome.error}`);
        this.scheduleRetry(readerId);
        return;
      }
    }
  }

  /**
   * The deletes at the head of a reader's outbox, together: one DeletChar per run of consecutive
   * slots ({@link deleteRuns}), one ReadIndexTable per index page to verify them all, and one
   * durable commit for all their bookkeeping. One at a time, each delete cost its own command,
   * verification and commit through the shared write queue, several times its wire time (issue
   * 24). Only leading deletes are taken, so they still run before any later store; deletes
   * commute with each other. False when a delete failed (a retry is scheduled).
   */
  private async workDeletes(readerId: string): Promise<boolean> {
    const { readers, store } = this.deps;
    const head = await store.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: 'pending' }, order: { seq: 'ASC' }, take: DELETE_BATCH });
    const firstOther = head.findIndex((o) => o.kind !== 'delete');
    const leading = firstOther === -1 ? head : head.slice(0, firstOther);
    // A bounded number of commands per job: badge-in polls the same reader between jobs.
    const runs = deleteRuns(
      leading.map((o) => o.slot!),
      DELETE_RUNS_PER_JOB,
    );
    const ops = leading.filter((o) => inRuns(runs, o.slot!));
    if (ops.length === 0) return true; // superseded since the worker looked; it looks again
    const outcomes = new Map<string, OpOutcome>();
    try {
      await readers.withReader(readerId, async (reader) => {
        for (const run of runs) await reader.deleteTemplates(run.start, run.count);
        const pages = [...new Set(ops.map((o) => Math.floor(o.slot! / 256)))];
        const occupied = new Set((await Promise.all(pages.map((page) => reader.readIndexTable(page)))).flat());
        for (const o of ops) {
          outcomes.set(
            o.id,
            occupied.has(o.slot!)
              ? {
                  ok: false,
                  error: errorText(new FingerprintError(FingerprintErrorCode.Protocol, `slot ${o.slot} still occupied after DeletChar`)),
                  transient: true,
                }
              : { ok: true },
          );
        }
      });
    } catch (err) {
      const failed: OpOutcome = { ok: false, error: errorText(err), transient: isTransient(err) };
      for (const o of ops) outcomes.set(o.id, failed);
    }
    const now = store.clock.nowMs();
    await store.tx(
      async (m) => {
        for (const o of ops) await this.completeIn(m, o, outcomes.get(o.id)!, now);
      },
      [readerId],
    );
    const failures = ops.filter((o) => !outcomes.get(o.id)!.ok);
    if (failures.length === 0) return true;
    const first = outcomes.get(failures[0].id) as { error: string };
    this.deps.logger.warn(
      `reader ${readerId}: ${failures.length} of ${ops.length} delete op(s) failed (first ${failures[0].id}, attempt ${failures[0].attempts + 1}): ${first.error}`,
    );
    this.scheduleRetry(readerId);
    return false;
  }

  private scheduleRetry(readerId: string): void {
    if (this.stopped || this.retryTimers.has(readerId)) return;
    const t = setTimeout(() => {
      this.retryTimers.delete(readerId);
      this.kick(readerId);
    }, this.deps.retryDelayMs());
    this.retryTimers.set(readerId, t);
  }

  /** One library operation, verified with ReadIndexTable (docs/r503-protocol.md §Flows; docs/privacy-and-regulation.md §What erasure must cover). */
  private async apply(reader: FingerprintReader, op: ReaderOpEntity): Promise<void> {
    switch (op.kind) {
      case 'store': {
        const template = await this.deps.openTemplate(op.templateId!);
        if (!template) throw new TemplateGone();
        try {
          // DownChar then Store (docs/r503-protocol.md §Data packets and template size): the template travels in clear on the serial line (same page, §Module security).
          await reader.downloadTemplate(1, template);
          await reader.store(1, op.slot!);
        } finally {
          template.fill(0);
        }
        if (!(await slotOccupied(reader, op.slot!))) throw new FingerprintError(FingerprintErrorCode.Protocol, `slot ${op.slot} not occupied after Store`);
        return;
      }
      case 'delete':
        // Run together by workDeletes, never here.
        throw new Error('delete ops are applied in batches');
      case 'empty':
        await reader.emptyLibrary();
        if ((await reader.templateCount()) !== 0) throw new FingerprintError(FingerprintErrorCode.Protocol, 'library not empty after Empty');
        return;
    }
  }

  private async complete(op: ReaderOpEntity, outcome: OpOutcome): Promise<void> {
    const now = this.deps.store.clock.nowMs();
    await this.deps.store.tx((m) => this.completeIn(m, op, outcome, now), [op.readerId]);
  }

  private async completeIn(m: EntityManager, op: ReaderOpEntity, outcome: OpOutcome, now: number): Promise<void> {
    const next = nextOpState({ state: op.state, attempts: op.attempts, lastError: op.lastError }, outcome);
    // The op may have been superseded while it ran; its row decides, not our copy.
    const current = await m.findOne(ReaderOpEntity, { where: { id: op.id } });
    if (!current) return;
    if (current.state !== 'pending') {
      if (outcome.ok && op.kind === 'delete') await m.delete(ReaderSlotEntity, { readerId: op.readerId, slot: op.slot!, state: 'deleting' });
      return;
    }
    await m.update(
      ReaderOpEntity,
      { id: op.id },
      { state: next.state, attempts: next.attempts, lastError: next.lastError, doneAt: next.state === 'pending' ? null : now },
    );
    if (next.state !== 'done') return;
    if (op.kind === 'store')
      await m.update(
        ReaderSlotEntity,
        { readerId: op.readerId, slot: op.slot!, templateId: op.templateId!, state: 'storing' },
        { state: 'stored', updatedAt: now },
      );
    if (op.kind === 'delete') await m.delete(ReaderSlotEntity, { readerId: op.readerId, slot: op.slot!, state: 'deleting' });
    if (op.kind === 'empty') await m.delete(ReaderSlotEntity, { readerId: op.readerId, state: 'deleting' });
  }

  /** The template was deleted before its store ran: nothing to store; make sure the slot ends empty. */
  private async templateGone(op: ReaderOpEntity): Promise<void> {
    const now = this.deps.store.clock.nowMs();
    await this.deps.store.tx(
      async (m) => {
        await m.update(ReaderOpEntity, { id: op.id, state: 'pending' }, { state: 'skipped', lastError: 'template_gone', doneAt: now });
        const slot = await m.findOne(ReaderSlotEntity, { where: { readerId: op.readerId, slot: op.slot! } });
        if (slot && slot.templateId === op.templateId && slot.state !== 'deleting') {
          await enqueueDelete(m, op.readerId, op.slot!, await maxSeq(m), now);
        }
      },
      [op.readerId],
    );
  }
}

class TemplateGone extends Error {}

export async function slotOccupied(reader: Pick<FingerprintReader, 'readIndexTable'>, slot: number): Promise<boolean> {
  return (await reader.readIndexTable(Math.floor(slot / 256))).includes(slot);
}
