import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { Instant, RegistrySnapshot } from '@acs/access-rules';
import { Clock, PeriodicJobs } from '@acs/clock';
import { ClusterBus } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { clusterLock, readAll, WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { ReaderDirectory, readerLoads, RegistryChanges, RegistrySnapshotService, type FleetReader, type ReaderLoad } from '@acs/registry';
import { FingerprintTemplateEntity, ReaderOpEntity, ReaderReconciliationEntity, ReaderSlotEntity, type ReaderOpState } from './entities.js';
import { TemplateFingerCounts } from './finger-counts.js';
import { enqueueDelete, errorText, maxSeq, newOp, type LibraryStore } from './outbox.js';
import { searchLibraries } from './library-search.js';
import { OutboxWorker } from './outbox-worker.js';
import { readFleetPlan, type FleetPlan } from './fleet-plan.js';
import { mayMoveTemplates } from './plan-triggers.js';
import { ReaderManager } from './reader-manager.js';
import { Reconciler, type ReconciliationView } from './reconciler.js';
import { SlotDirectory, type SlotOwner } from './slot-directory.js';
import { readSlotRows } from './slot-rows.js';
import { TemplateVault } from './template-vault.js';

export type { ReconciliationView } from './reconciler.js';
export type { SlotOwner } from './slot-directory.js';

/** Rows per INSERT when a plan reserves slots (SQLite's limit is 32,766 bound values). */
const STORE_ROWS_PER_INSERT = 200;

export type ErasureSubject = { personId: string } | { customerId: string } | { templateId: string };

export interface ErasureTicket {
  /** Outbox operations that delete the subject's templates, over all readers. */
  opIds: string[];
  /** Readers that held (or were about to hold) a template of the subject. */
  readerIds: string[];
  /** Template rows removed from the server (0 with keepServerCopy). */
  templatesDeleted: number;
}

export interface ReaderErasureStatus {
  readerId: string;
  /** Slots of the subject the bookkeeping still lists on this reader. */
  remainingSlots: number;
  pendingOpIds: string[];
  /** True once every delete on this reader was verified with ReadIndexTable. */
  confirmed: boolean;
}

export interface ReaderLibraryView {
  readerId: string;
  name: string;
  role: string;
  state: string;
  capacity: number;
  /** Templates the reader must hold (bookkeeping, storing or stored). */
  expected: number;
  /** Templates confirmed on the module (stored or still being deleted). */
  present: number;
  /** Capacity planning with real finger counts (one slot per person without fingers). */
  required: number | null;
  pendingOps: number;
  failedOps: number;
  lastReconciliation: ReconciliationView | null;
}

/** Cluster notice channel: "reader X has outbox work". */
const READER_OPS_CHANNEL = 'reader-ops';

/**
 * Keeps every door reader's library equal to what the registry says it must hold [issue 6]:
 * plans diffs into the persisted outbox (`reader_op`), which the {@link OutboxWorker} applies
 * with one worker per reader; the {@link Reconciler} checks the modules against ReadIndexTable on
 * (re)connect and periodically; the {@link SlotDirectory} answers badge-in (slot → person). This
 * class wires them, plans, and serves erasure (delete everywhere, confirm per reader) and the
 * staff views.
 */
@Injectable()
export class ReaderLibraryService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReaderLibrary');
  private readonly slots: SlotDirectory;
  private readonly worker: OutboxWorker;
  private readonly reconciler: Reconciler;
  private readonly store: LibraryStore;
  private planning: Promise<void> | null = null;
  /** Plan requests so far, and how many of them the running or last pass covers (it began after them). */
  private planRequests = 0;
  private planCovered = 0;
  private planTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = false;
  /** Delay before a worker retries after a failed op (tests shorten it). */
  retryDelayMs = 1000;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly manager: ReaderManager,
    private readonly snapshots: RegistrySnapshotService,
    private readonly directory: ReaderDirectory,
    private readonly changes: RegistryChanges,
    private readonly vault: TemplateVault,
    private readonly fingers: TemplateFingerCounts,
    private readonly jobs: PeriodicJobs,
    @Optional() private readonly cluster?: ClusterBus,
  ) {
    this.slots = new SlotDirectory((readerIds) => readSlotRows(this.ds, readerIds), {
      onStale: (err) => this.logger.warn(`badge-in identifies from the slot map it held: the bookkeeping cannot be read (${(err as Error).message})`),
    });
    this.store = {
      ds,
      clock,
      // Every write of the library may change the slot bookkeeping: badge-in's directory reloads
      // what it touched (failed writes too: their outcome may be unknown).
      tx: async (work, readerIds) => {
        try {
          return await this.writes.transaction(work);
        } finally {
          this.slots.invalidate(readerIds);
        }
      },
    };
    this.worker = new OutboxWorker({
      store: this.store,
      readers: manager,
      openTemplate: async (templateId) => {
        const row = await this.ds.getRepository(FingerprintTemplateEntity).findOne({ where: { id: templateId } });
        return row ? this.vault.open(row.id, row.templateCt) : null;
      },
      elsewhere: (readerId) => this.cluster?.publish(READER_OPS_CHANNEL, { readerIds: [readerId] }),
      emptied: () => this.requestPlan(),
      retryDelayMs: () => this.retryDelayMs,
      logger: this.logger,
    });
    this.reconciler = new Reconciler({ store: this.store, readers: manager, kick: (readerId) => this.kick(readerId), logger: this.logger });
  }

  async onModuleInit(): Promise<void> {
    // Outbox work queued by another instance for a reader of ours (or slots it changed that our
    // badge-in maps): the rows are in the database, the notice only says where to look.
    await this.cluster?.subscribe(READER_OPS_CHANNEL, (body) => {
      const ids = (body as { readerIds?: unknown })?.readerIds;
      if (!Array.isArray(ids)) return;
      this.slots.invalidate();
      for (const id of ids) if (typeof id === 'string' && this.manager.has(id)) this.kick(id);
    });
  }
  onApplicationBootstrap(): void {
    // Grants, people (status, validity), customers (service end), doors, levels: anything may
    // change who a reader must hold. Debounced: a burst of changes plans once.
    this.unsubscribe = this.changes.subscribe((c) => {
      if (mayMoveTemplates(c)) this.requestPlan();
    });
    this.manager.on('ready', this.onReaderReady);
    this.manager.on('resumed', this.onResumed);
    if (!this.manager.enabled) return;
    // Validity and service end pass with time, not with a change: re-plan and reconcile periodically.
    this.jobs.every({ name: 'reader-fleet.sync', everyMs: this.config.READER_SYNC_INTERVAL_S * 1000, run: () => this.periodicSync() });
    this.requestPlan();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.manager.off('ready', this.onReaderReady);
    this.manager.off('resumed', this.onResumed);
    this.jobs.stop('reader-fleet.sync');
    clearTimeout(this.planTimer);
    await Promise.allSettled([this.planning, this.worker.stop(), this.reconciler.stop()]);
  }

  private readonly onReaderReady = (readerId: string): void => {
    if (this.stopped) return;
    // The slot map held for this reader may predate writes another instance made while it served
    // the reader (its outbox confirms stores without a notice: nobody else served it). A reader
    // that failed over to us denied every finger stored meanwhile as unknown until this reload.
    this.slots.invalidate([readerId]);
    void this.reconcile(readerId)
      .catch(() => null)
      .then(() => this.kick(readerId));
  };

  private readonly onResumed = (readerId: string): void => this.kick(readerId);

  /** What the periodic timer does: re-plan everything, then reconcile every ready reader. */
  syncNow(): Promise<void> {
    return this.periodicSync();
  }

  private async periodicSync(): Promise<void> {
    await this.plan().catch((err: unknown) => this.logger.error(`periodic plan failed: ${errorText(err)}`));
    for (const r of this.manager.list()) if (r.state === 'ready') await this.reconcile(r.readerId).catch(() => null);
  }

  // ------------------------------------------------------------------ planning

  /** Plan soon (coalesces bursts of registry changes). */
  requestPlan(): void {
    if (this.stopped) return;
    this.planRequests++;
    if (this.planTimer) return;
    this.planTimer = setTimeout(() => {
      this.planTimer = undefined;
      // A pass that began after the request already saw the change: a grant followed by an
      // explicit plan() ran every plan twice at 20,000 people, the second moving nothing.
      if (this.planRequests > this.planCovered) void this.runPlans().catch((err: unknown) => this.logger.error(`plan failed: ${errorText(err)}`));
    }, 20);
  }

  /** Compute every door reader's desired library and persist the diff as outbox operations. */
  plan(): Promise<void> {
    this.planRequests++;
    return this.runPlans();
  }

  /** Passes until one has begun after the latest request; one runner at a time. */
  private runPlans(): Promise<void> {
    if (this.planning) return this.planning; // its loop takes requests made after its pass began
    const run = (async () => {
      try {
        while (this.planRequests > this.planCovered && !this.stopped) {
          this.planCovered = this.planRequests;
          await this.planOnce();
        }
      } finally {
        this.planning = null;
      }
    })();
    this.planning = run;
    return run;
  }

  /**
   * Most registry changes move no template (a name, a schedule, a person without fingers). The
   * plan is computed on a read first and takes the write queue (which badge-in's events wait for
   * too) only when it has something to write; then it is computed again inside, under the lock,
   * from what the transaction sees. A change committed after the read sends its own request.
   */
  private async planOnce(): Promise<void> {
    const snapshot = await this.snapshots.current();
    const now = this.clock.nowMs();
    // The preview is still what the transaction would read when no write began in between and
    // none was running while it read (SQLite's shared connection shows a running write's rows).
    const begun = this.writes.writesBegun;
    const quiet = this.ds.options.type === 'better-sqlite3' && !this.writes.isBusy;
    const [readers, doors] = await Promise.all([this.directory.readers(), this.directory.doorReaders()]);
    const preview = await readFleetPlan(this.ds, this.ds.manager, readers, doors, snapshot, now);
    if (!preview.work) {
      this.warnUnplaced(preview);
      return;
    }
    const touched = new Set<string>();
    await this.store.tx(async (m) => {
      // Every instance may plan; the outbox sequence and slot bookkeeping take one planner at a time.
      await clusterLock(m, 'reader-ops');
      // On PostgreSQL other instances write past this queue: always read again under the lock.
      const current = quiet && this.writes.writesBegun === begun + 1;
      const plan = current ? preview : await this.readFleetPlanIn(m, snapshot, now);
      this.warnUnplaced(plan);
      let seq = await maxSeq(m);
      // Bookkeeping of readers that no longer exist cannot be acted on: drop it with their ops.
      if (plan.orphanReaders.length > 0) {
        await m.delete(ReaderSlotEntity, { readerId: In(plan.orphanReaders) });
        await m.update(ReaderOpEntity, { readerId: In(plan.orphanReaders), state: 'pending' }, { state: 'skipped', lastError: 'reader_removed', doneAt: now });
      }
      for (const reader of plan.readers) {
        for (const d of reader.deletes) {
          seq = await enqueueDelete(m, reader.readerId, d.slot, seq, now);
          touched.add(reader.readerId);
        }
        // In chunks: a hall granted to a thousand people is two thousand stores per reader.
        for (let i = 0; i < reader.stores.length; i += STORE_ROWS_PER_INSERT) {
          const chunk = reader.stores.slice(i, i + STORE_ROWS_PER_INSERT);
          await m.insert(
            ReaderSlotEntity,
            chunk.map(({ slot, template: t }) => ({
              readerId: reader.readerId,
              slot,
              templateId: t.id,
              personId: t.person_id,
              customerId: t.customer_id,
              state: 'storing' as const,
              updatedAt: now,
            })),
          );
          await m.insert(
            ReaderOpEntity,
            chunk.map(({ slot, template: t }) => newOp(reader.readerId, 'store', slot, t.id, ++seq, now)),
          );
          touched.add(reader.readerId);
        }
      }
    });
    for (const id of touched) this.kick(id);
  }

  private async readFleetPlanIn(m: EntityManager, snapshot: RegistrySnapshot, now: Instant): Promise<FleetPlan> {
    const [readers, doors] = await readAll(m, [() => this.directory.readers(m), () => this.directory.doorReaders(m)] as const);
    return readFleetPlan(this.ds, m, readers, doors, snapshot, now);
  }

  private warnUnplaced(plan: FleetPlan): void {
    for (const r of plan.readers) if (r.unplaced > 0) this.logger.warn(`reader ${r.readerId}: ${r.unplaced} template(s) do not fit the library`);
  }

  // ------------------------------------------------------------------ outbox and reconciliation

  /** Start the reader's outbox worker if it is not running (or tell the instance that owns the reader). */
  kick(readerId: string): void {
    if (this.stopped) return;
    this.worker.kick(readerId);
  }

  /**
   * Read the module's index table and bring it in line with the bookkeeping ({@link Reconciler}).
   * Null when the reader is not ready or paused.
   */
  reconcile(readerId: string): Promise<ReconciliationView | null> {
    return this.reconciler.reconcile(readerId);
  }

  // ------------------------------------------------------------------ API for badge-in and erasure

  /**
   * Badge-in: which template and person a Search hit (reader, slot) stands for; null for an unknown
   * slot or one still being stored. Served from memory, reloaded only after this service changed
   * the bookkeeping, so the decision path does not read the database per badge.
   */
  slotOwner(readerId: string, slot: number): Promise<SlotOwner | null> {
    return this.slots.owner(readerId, slot);
  }

  /**
   * Duplicate-finger check over the door libraries ({@link searchLibraries} in library-search.ts):
   * the matching template id, and the candidates that were searched.
   */
  async searchLibraries(probe: Buffer, candidates: ReadonlySet<string>): Promise<{ match: string | null; covered: Set<string> }> {
    const stored = await this.ds.getRepository(ReaderSlotEntity).find({ where: { state: 'stored' } });
    return searchLibraries(this.manager, stored, probe, candidates);
  }

  /**
   * Delete a person's, a customer's or one template's fingerprints from every reader (through the
   * outbox) and, unless `keepServerCopy`, from the server in the same transaction. Keep the server
   * copy only when the subject is no longer covered by any door (restriction, ended service):
   * otherwise the next plan would store it again. Watch {@link opStates} or poll
   * {@link erasureStatus} for the per-reader confirmation.
   */
  async eraseTemplatesOf(subject: ErasureSubject, options: { keepServerCopy?: boolean } = {}): Promise<ErasureTicket> {
    const now = this.clock.nowMs();
    const where =
      'personId' in subject
        ? { personId: subject.personId }
        : 'customerId' in subject
          ? { customerId: subject.customerId }
          : { templateId: subject.templateId };
    const ticket = await this.store.tx(async (m) => {
      await clusterLock(m, 'reader-ops');
      const slots = await m.find(ReaderSlotEntity, { where });
      const opIds: string[] = [];
      let seq = await maxSeq(m);
      // The deletes already owed, in one query: an erasure calls this again on every pass while
      // it waits for the readers, and a query per slot (1,000 for a big customer) held the
      // write queue and the event loop for seconds each time (issue 24).
      const readerIds = [...new Set(slots.filter((s) => s.state === 'deleting').map((s) => s.readerId))];
      const owed = new Map<string, string[]>();
      if (readerIds.length > 0) {
        const pending = await m.find(ReaderOpEntity, {
          where: { readerId: In(readerIds), kind: 'delete', state: 'pending' },
          select: { id: true, readerId: true, slot: true },
        });
        for (const p of pending) owed.set(`${p.readerId}:${p.slot}`, [...(owed.get(`${p.readerId}:${p.slot}`) ?? []), p.id]);
      }
      for (const s of slots) {
        const pending = s.state === 'deleting' ? owed.get(`${s.readerId}:${s.slot}`) : undefined;
        if (pending) opIds.push(...pending);
        else seq = await enqueueDelete(m, s.readerId, s.slot, seq, now, opIds);
      }
      let templatesDeleted = 0;
      if (!options.keepServerCopy) {
        const tWhere = 'templateId' in subject ? { id: subject.templateId } : where;
        templatesDeleted = (await m.delete(FingerprintTemplateEntity, tWhere)).affected ?? 0;
      }
      return { opIds, readerIds: [...new Set(slots.map((s) => s.readerId))], templatesDeleted };
    });
    for (const id of ticket.readerIds) this.kick(id);
    return ticket;
  }

  /**
   * Wipe a reader's library with one Empty (docs/r503-protocol.md §Instruction set) through the
   * outbox (decommissioning, a module of unknown history). Pending stores are superseded; a door
   * reader is then refilled by the next plan. Returns the op id.
   */
  async emptyReader(readerId: string): Promise<string> {
    const now = this.clock.nowMs();
    const id = await this.store.tx(
      async (m) => {
        await clusterLock(m, 'reader-ops');
        await m.update(ReaderSlotEntity, { readerId }, { state: 'deleting', updatedAt: now });
        await m.update(ReaderOpEntity, { readerId, kind: 'store', state: 'pending' }, { state: 'skipped', lastError: 'superseded', doneAt: now });
        const op = newOp(readerId, 'empty', null, null, (await maxSeq(m)) + 1, now);
        await m.insert(ReaderOpEntity, op);
        return op.id;
      },
      [readerId],
    );
    this.kick(readerId);
    return id;
  }

  /**
   * Per reader: is every template of the subject verified gone (slot rows are removed only after
   * ReadIndexTable showed the slot empty)? Readers without a remaining slot are listed only when
   * named in `readerIds` (from the {@link ErasureTicket}).
   */
  async erasureStatus(subject: ErasureSubject, readerIds: string[] = []): Promise<ReaderErasureStatus[]> {
    const where =
      'personId' in subject
        ? { personId: subject.personId }
        : 'customerId' in subject
          ? { customerId: subject.customerId }
          : { templateId: subject.templateId };
    const slots = await this.ds.getRepository(ReaderSlotEntity).find({ where });
    const byReader = new Map<string, ReaderSlotEntity[]>();
    for (const s of slots) byReader.set(s.readerId, [...(byReader.get(s.readerId) ?? []), s]);
    const result: ReaderErasureStatus[] = [];
    for (const [readerId, rs] of byReader) {
      const pending = await this.ds
        .getRepository(ReaderOpEntity)
        .find({ where: { readerId, slot: In(rs.map((s) => s.slot)), kind: 'delete', state: 'pending' } });
      result.push({ readerId, remainingSlots: rs.length, pendingOpIds: pending.map((p) => p.id), confirmed: false });
    }
    // Readers named by the caller (an ErasureTicket) with no slot left are confirmed.
    for (const readerId of readerIds) {
      if (!byReader.has(readerId)) result.push({ readerId, remainingSlots: 0, pendingOpIds: [], confirmed: true });
    }
    return result;
  }

  /** States of the given outbox operations (ids unknown to the outbox are left out). */
  async opStates(opIds: string[]): Promise<Record<string, ReaderOpState>> {
    if (opIds.length === 0) return {};
    const ops = await this.ds.getRepository(ReaderOpEntity).find({ where: { id: In(opIds) }, select: { id: true, state: true } });
    return Object.fromEntries(ops.map((o) => [o.id, o.state]));
  }

  /** Outbox operations still pending on the given readers (all readers when omitted). */
  pendingOps(readerIds?: string[]): Promise<number> {
    const where = readerIds ? { readerId: In(readerIds), state: 'pending' as const } : { state: 'pending' as const };
    return this.ds.getRepository(ReaderOpEntity).count({ where });
  }

  /** True while a plan is running or scheduled (a registry change not yet turned into outbox work). */
  get planPending(): boolean {
    return this.planning !== null || this.planTimer !== undefined;
  }

  /** Resolves when the plan running now (if any) has finished. */
  async afterPlan(): Promise<void> {
    await this.planning?.catch(() => undefined);
  }

  // ------------------------------------------------------------------ staff views

  /** Capacity planning with the real number of enrolled fingers per person. */
  async capacityLoads(): Promise<ReaderLoad[]> {
    const counts = await this.fingerCounts();
    return this.capacityLoadsWith((p) => counts.get(p) ?? 0);
  }

  async capacityLoadsWith(enrolledFingers: (personId: string) => number): Promise<ReaderLoad[]> {
    const [snapshot, readers, doors] = await Promise.all([this.snapshots.current(), this.directory.readers(), this.directory.doorReaders()]);
    return readerLoads(snapshot, readers, doors, this.clock.nowMs(), enrolledFingers);
  }

  fingerCounts(): Promise<Map<string, number>> {
    return this.fingers.counts(this.ds.manager);
  }

  async libraries(): Promise<ReaderLibraryView[]> {
    const readers = await this.directory.readersByName();
    const loads = new Map((await this.capacityLoads()).map((l) => [l.readerId, l]));
    return Promise.all(readers.map((r) => this.view(r, loads.get(r.id))));
  }

  async library(readerId: string): Promise<ReaderLibraryView & { ops: ReaderOpEntity[] }> {
    const reader = await this.directory.reader(readerId);
    if (!reader) throw new NotFoundError('Reader', readerId);
    const load = (await this.capacityLoads()).find((l) => l.readerId === readerId);
    const ops = await this.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: In(['pending', 'failed']) }, order: { seq: 'ASC' }, take: 100 });
    return { ...(await this.view(reader, load)), ops };
  }

  private async view(r: FleetReader, load: ReaderLoad | undefined): Promise<ReaderLibraryView> {
    const [slots, pendingOps, failedOps, last] = await Promise.all([
      this.ds.getRepository(ReaderSlotEntity).find({ where: { readerId: r.id }, select: { slot: true, state: true } }),
      this.ds.getRepository(ReaderOpEntity).count({ where: { readerId: r.id, state: 'pending' } }),
      this.ds.getRepository(ReaderOpEntity).count({ where: { readerId: r.id, state: 'failed' } }),
      this.ds.getRepository(ReaderReconciliationEntity).findOne({ where: { readerId: r.id }, order: { at: 'DESC', id: 'DESC' } }),
    ]);
    return {
      readerId: r.id,
      name: r.name,
      role: r.role,
      state: this.manager.stateOf(r.id).state,
      capacity: r.capacity ?? r.declaredCapacity,
      expected: slots.filter((s) => s.state !== 'deleting').length,
      present: slots.filter((s) => s.state !== 'storing').length,
      required: load?.required ?? null,
      pendingOps,
      failedOps,
      lastReconciliation:
        this.reconciler.last(r.id) ??
        (last
          ? { at: last.at, found: last.found, expected: last.expected, missingPushed: last.missingPushed, ghostsDeleted: last.ghostsDeleted, error: last.error }
          : null),
    };
  }
}
