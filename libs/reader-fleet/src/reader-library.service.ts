import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { personsCoveredByDoors } from '@acs/access-rules';
import { Clock } from '@acs/clock';
import { ClusterBus } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { clusterLock, WriteQueue } from '@acs/database';
import { FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import { NotFoundError } from '@acs/http';
import { DoorEntity, ReaderEntity, readerLoads, RegistryChanges, RegistrySnapshotService, type ReaderLoad } from '@acs/registry';
import { FingerprintTemplateEntity, ReaderOpEntity, ReaderReconciliationEntity, ReaderSlotEntity, type ReaderOpKind } from './entities.js';
import { deleteRuns, inRuns, nextOpState, planLibrary, type OpOutcome } from './planner.js';
import { ReaderManager } from './reader-manager.js';
import { TemplateFingerCounts } from './finger-counts.js';
import { TemplateVault } from './template-vault.js';

export interface SlotOwner {
  templateId: string;
  personId: string;
  customerId: string;
  /** `deleting`: planned away (access ended or erasure running) but not yet gone from the module. */
  state: 'stored' | 'deleting';
}

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

export interface ReconciliationView {
  at: number;
  found: number;
  expected: number;
  missingPushed: number;
  ghostsDeleted: number;
  error: string | null;
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

/** Transient: the reader will come back; the op waits for it without burning attempts toward `failed`. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof FingerprintError)) return false;
  return [
    FingerprintErrorCode.NotReady,
    FingerprintErrorCode.Disconnected,
    FingerprintErrorCode.Timeout,
    FingerprintErrorCode.Closed,
    FingerprintErrorCode.Protocol,
  ].includes(err.code);
}

function errorText(err: unknown): string {
  const e = err as Error;
  const code = err instanceof FingerprintError ? err.code : 'ERROR';
  return `${code}: ${e?.message ?? String(err)}`.slice(0, 255);
}

class TemplateGone extends Error {}

/** Deletes taken from the head of a reader's outbox at once (a purge of a full 1,000-slot module is ten turns). */
const DELETE_BATCH = 100;
/** DeletChar commands per reader job: 8 x (16 + 12 bytes) is under 40 ms of a 57,600 baud line. */
const DELETE_RUNS_PER_JOB = 8;

/** Cluster notice channel: "reader X has outbox work". */
const READER_OPS_CHANNEL = 'reader-ops';

/**
 * Keeps every door reader's library equal to what the registry says it must hold [issue 6]:
 * plans diffs into the persisted outbox (`reader_op`), applies them with one worker per reader,
 * reconciles against ReadIndexTable on (re)connect and periodically, and answers badge-in
 * (slot → person) and erasure (delete everywhere, confirm per reader).
 */
@Injectable()
export class ReaderLibraryService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReaderLibrary');
  private readonly workers = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly reconciling = new Map<string, Promise<ReconciliationView | null>>();
  /** Latest reconciliation per reader in this process (rows at the same clock instant cannot be ordered). */
  private readonly lastReconciliation = new Map<string, ReconciliationView>();
  private planning: Promise<void> | null = null;
  private planAgain = false;
  private planTimer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = false;
  private slotVersion = 0;
  private slotCache?: { version: number; owners: Promise<Map<string, SlotOwner>> };
  /** Delay before a worker retries after a failed op (tests shorten it). */
  retryDelayMs = 1000;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly manager: ReaderManager,
    private readonly snapshots: RegistrySnapshotService,
    private readonly changes: RegistryChanges,
    private readonly vault: TemplateVault,
    private readonly fingers: TemplateFingerCounts,
    @Optional() private readonly cluster?: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    // Outbox work queued by another instance for a reader of ours (or slots it changed that our
    // badge-in maps): the rows are in the database, the notice only says where to look.
    await this.cluster?.subscribe(READER_OPS_CHANNEL, (body) => {
      const ids = (body as { readerIds?: unknown })?.readerIds;
      if (!Array.isArray(ids)) return;
      this.slotVersion++;
      for (const id of ids) if (typeof id === 'string' && this.manager.has(id)) this.kick(id);
    });
  }

  onApplicationBootstrap(): void {
    // Grants, people (status, validity), customers (service end), doors, levels: anything may
    // change who a reader must hold. Debounced: a burst of changes plans once.
    this.unsubscribe = this.changes.subscribe(() => this.requestPlan());
    this.manager.on('ready', this.onReaderReady);
    this.manager.on('resumed', this.onResumed);
    if (!this.manager.enabled) return;
    // Validity and service end pass with time, not with a change: re-plan and reconcile periodically.
    this.periodic = setInterval(() => void this.periodicSync(), this.config.READER_SYNC_INTERVAL_S * 1000);
    this.periodic.unref?.();
    this.requestPlan();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.manager.off('ready', this.onReaderReady);
    this.manager.off('resumed', this.onResumed);
    clearInterval(this.periodic);
    clearTimeout(this.planTimer);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.allSettled([this.planning, ...this.workers.values(), ...this.reconciling.values()]);
  }

  private readonly onReaderReady = (readerId: string): void => {
    if (this.stopped) return;
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

  /** Every write of this service: slot bookkeeping may change, so the badge-in cache is refreshed. */
  private async tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.writes.transaction(work);
    } finally {
      this.slotVersion++;
    }
  }

  // ------------------------------------------------------------------ planning

  /** Plan soon (coalesces bursts of registry changes). */
  requestPlan(): void {
    if (this.stopped || this.planTimer) return;
    this.planTimer = setTimeout(() => {
      this.planTimer = undefined;
      void this.plan().catch((err: unknown) => this.logger.error(`plan failed: ${errorText(err)}`));
    }, 20);
  }

  /** Compute every door reader's desired library and persist the diff as outbox operations. */
  plan(): Promise<void> {
    if (this.planning) {
      this.planAgain = true;
      return this.planning;
    }
    const run = (async () => {
      try {
        do {
          this.planAgain = false;
          await this.planOnce();
        } while (this.planAgain && !this.stopped);
      } finally {
        this.planning = null;
      }
    })();
    this.planning = run;
    return run;
  }

  private async planOnce(): Promise<void> {
    const snapshot = await this.snapshots.current();
    const now = this.clock.nowMs();
    const touched = new Set<string>();
    await this.tx(async (m) => {
      // Every instance may plan; the outbox sequence and slot bookkeeping take one planner at a time.
      await clusterLock(m, 'reader-ops');
      const [readers, doors, templates, slots] = await Promise.all([
        m.find(ReaderEntity),
        m.find(DoorEntity),
        m.find(FingerprintTemplateEntity, { select: { id: true, personId: true, customerId: true } }),
        m.find(ReaderSlotEntity),
      ]);
      const templatesOf = new Map<string, FingerprintTemplateEntity[]>();
      for (const t of templates) templatesOf.set(t.personId, [...(templatesOf.get(t.personId) ?? []), t]);
      const byId = new Map(templates.map((t) => [t.id, t]));
      const readerIds = new Set(readers.map((r) => r.id));
      let seq = await this.maxSeq(m);

      // Bookkeeping of readers that no longer exist cannot be acted on: drop it with their ops.
      const orphanReaders = [...new Set(slots.map((s) => s.readerId))].filter((id) => !readerIds.has(id));
      if (orphanReaders.length > 0) {
        await m.delete(ReaderSlotEntity, { readerId: In(orphanReaders) });
        await m.update(ReaderOpEntity, { readerId: In(orphanReaders), state: 'pending' }, { state: 'skipped', lastError: 'reader_removed', doneAt: now });
      }

      for (const reader of readers) {
        const desired = new Set<string>();
        if (reader.role === 'door') {
          const served = doors.filter((d) => d.entryReaderId === reader.id || d.exitReaderId === reader.id).map((d) => d.id);
          if (served.length > 0) {
            for (const personId of personsCoveredByDoors(snapshot, served, now)) {
              for (const t of templatesOf.get(personId) ?? []) desired.add(t.id);
            }
          }
        }
        const mine = slots.filter((s) => s.readerId === reader.id);
        const plan = planLibrary({ capacity: reader.capacity ?? reader.declaredCapacity, desired, slots: mine });
        if (plan.unplaced.length > 0) {
          this.logger.warn(`reader ${reader.id}: ${plan.unplaced.length} template(s) do not fit the library`);
        }
        for (const d of plan.deletes) {
          seq = await this.enqueueDelete(m, reader.id, d.slot, seq, now);
          touched.add(reader.id);
        }
        for (const s of plan.stores) {
          const t = byId.get(s.templateId)!;
          await m.insert(ReaderSlotEntity, {
            readerId: reader.id,
            slot: s.slot,
            templateId: t.id,
            personId: t.personId,
            customerId: t.customerId,
            state: 'storing',
            updatedAt: now,
          });
          await m.insert(ReaderOpEntity, this.op(reader.id, 'store', s.slot, t.id, ++seq, now));
          touched.add(reader.id);
        }
      }
    });
    for (const id of touched) this.kick(id);
  }

  private async maxSeq(m: EntityManager): Promise<number> {
    const row = await m.createQueryBuilder(ReaderOpEntity, 'o').select('MAX(o.seq)', 'max').getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0);
  }

  private op(readerId: string, kind: ReaderOpKind, slot: number | null, templateId: string | null, seq: number, now: number): ReaderOpEntity {
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
   * store already on the wire is harmless: the delete follows it in order).
   */
  private async enqueueDelete(m: EntityManager, readerId: string, slot: number, seq: number, now: number, opIds?: string[]): Promise<number> {
    await m.update(ReaderSlotEntity, { readerId, slot }, { state: 'deleting', updatedAt: now });
    await m.update(ReaderOpEntity, { readerId, slot, kind: 'store', state: 'pending' }, { state: 'skipped', lastError: 'superseded', doneAt: now });
    const op = this.op(readerId, 'delete', slot, null, seq + 1, now);
    await m.insert(ReaderOpEntity, op);
    opIds?.push(op.id);
    return seq + 1;
  }

  // ------------------------------------------------------------------ worker

  /** Start the reader's worker if it is not running. */
  kick(readerId: string): void {
    if (this.stopped) return;
    if (!this.manager.has(readerId)) {
      // Wired to another instance (or not open here): its owner works the outbox.
      this.cluster?.publish(READER_OPS_CHANNEL, { readerIds: [readerId] });
      return;
    }
    if (this.workers.has(readerId)) return;
    const run = this.work(readerId).finally(() => this.workers.delete(readerId));
    this.workers.set(readerId, run);
  }

  private async work(readerId: string): Promise<void> {
    while (!this.stopped) {
      if (!this.manager.isReady(readerId) || this.manager.isPaused(readerId)) return; // 'ready'/'resumed' restart us
      const op = await this.ds.getRepository(ReaderOpEntity).findOne({ where: { readerId, state: 'pending' }, order: { seq: 'ASC' } });
      if (!op) return;
      if (op.kind === 'delete') {
        if (await this.workDeletes(readerId)) continue;
        return;
      }
      let outcome: OpOutcome;
      try {
        await this.manager.withReader(readerId, (reader) => this.apply(reader, op));
        outcome = { ok: true };
      } catch (err) {
        if (err instanceof TemplateGone) {
          await this.templateGone(op);
          continue;
        }
        outcome = { ok: false, error: errorText(err), transient: isTransient(err) };
      }
      await this.complete(op, outcome);
      if (outcome.ok && op.kind === 'empty') this.requestPlan();
      if (!outcome.ok) {
        this.logger.warn(`reader ${readerId}: ${op.kind} op ${op.id} failed (attempt ${op.attempts + 1}): ${outcome.error}`);
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
    const head = await this.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: 'pending' }, order: { seq: 'ASC' }, take: DELETE_BATCH });
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
      await this.manager.withReader(readerId, async (reader) => {
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
    const now = this.clock.nowMs();
    await this.tx(async (m) => {
      for (const o of ops) await this.completeIn(m, o, outcomes.get(o.id)!, now);
    });
    const failures = ops.filter((o) => !outcomes.get(o.id)!.ok);
    if (failures.length === 0) return true;
    const first = outcomes.get(failures[0].id) as { error: string };
    this.logger.warn(
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
    }, this.retryDelayMs);
    this.retryTimers.set(readerId, t);
  }

  /** One library operation, verified with ReadIndexTable (docs/r503-protocol.md §Flows; docs/privacy-and-regulation.md §What erasure must cover). */
  private async apply(reader: FingerprintReader, op: ReaderOpEntity): Promise<void> {
    switch (op.kind) {
      case 'store': {
        const row = await this.ds.getRepository(FingerprintTemplateEntity).findOne({ where: { id: op.templateId! } });
        if (!row) throw new TemplateGone();
        const template = await this.vault.open(row.id, row.templateCt);
        try {
          // DownChar then Store (docs/r503-protocol.md §Data packets and template size): the template travels in clear on the serial line (same page, §Module security).
          await reader.downloadTemplate(1, template);
          await reader.store(1, op.slot!);
        } finally {
          template.fill(0);
        }
        if (!(await this.slotOccupied(reader, op.slot!))) throw new FingerprintError(FingerprintErrorCode.Protocol, `slot ${op.slot} not occupied after Store`);
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

  private async slotOccupied(reader: FingerprintReader, slot: number): Promise<boolean> {
    return (await reader.readIndexTable(Math.floor(slot / 256))).includes(slot);
  }

  private async complete(op: ReaderOpEntity, outcome: OpOutcome): Promise<void> {
    const now = this.clock.nowMs();
    await this.tx((m) => this.completeIn(m, op, outcome, now));
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
    const now = this.clock.nowMs();
    await this.tx(async (m) => {
      await m.update(ReaderOpEntity, { id: op.id, state: 'pending' }, { state: 'skipped', lastError: 'template_gone', doneAt: now });
      const slot = await m.findOne(ReaderSlotEntity, { where: { readerId: op.readerId, slot: op.slot! } });
      if (slot && slot.templateId === op.templateId && slot.state !== 'deleting') {
        await this.enqueueDelete(m, op.readerId, op.slot!, await this.maxSeq(m), now);
      }
    });
  }

  // ------------------------------------------------------------------ reconciliation

  /**
   * Read the module's index table and bring it in line with the bookkeeping: a stored slot the
   * module lacks is pushed again; an occupied slot the server does not know is a biometric ghost
   * and is deleted at once (the module flash is a biometric database: docs/r503-protocol.md §Module
   * security). Enrolment readers must hold nothing: everything there is a ghost.
   */
  reconcile(readerId: string): Promise<ReconciliationView | null> {
    const running = this.reconciling.get(readerId);
    if (running) return running;
    const run = this.reconcileOnce(readerId).finally(() => this.reconciling.delete(readerId));
    this.reconciling.set(readerId, run);
    return run;
  }

  private async reconcileOnce(readerId: string): Promise<ReconciliationView | null> {
    if (this.stopped || !this.manager.isReady(readerId) || this.manager.isPaused(readerId)) return null;
    const now = () => this.clock.nowMs();
    let view: ReconciliationView;
    try {
      view = await this.manager.withReader(readerId, async (reader) => {
        const present = new Set(await reader.listTemplateIds());
        const slots = await this.ds.getRepository(ReaderSlotEntity).find({ where: { readerId } });
        const known = new Set(slots.map((s) => s.slot));
        const ghosts = [...present].filter((slot) => !known.has(slot));
        for (const slot of ghosts) {
          await reader.deleteTemplates(slot, 1);
          if (await this.slotOccupied(reader, slot)) throw new FingerprintError(FingerprintErrorCode.Protocol, `ghost in slot ${slot} survived DeletChar`);
        }
        const missing = slots.filter((s) => s.state === 'stored' && !present.has(s.slot));
        // Bookkeeping whose op was parked as failed (or lost): give it a new op, or settle it
        // from what the index table just showed. An `empty` pending makes all of this moot.
        const pendingOps = await this.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: 'pending' }, select: { slot: true } });
        const owed = new Set(pendingOps.map((o) => o.slot));
        const orphans = owed.has(null) ? [] : slots.filter((s) => s.state !== 'stored' && !owed.has(s.slot));
        const at = now();
        if (missing.length > 0 || orphans.length > 0) {
          await this.tx(async (m) => {
            let seq = await this.maxSeq(m);
            for (const s of missing) {
              await m.update(ReaderSlotEntity, { readerId, slot: s.slot, state: 'stored' }, { state: 'storing', updatedAt: at });
              await m.insert(ReaderOpEntity, this.op(readerId, 'store', s.slot, s.templateId, ++seq, at));
            }
            for (const s of orphans) {
              if (s.state === 'storing') await m.insert(ReaderOpEntity, this.op(readerId, 'store', s.slot, s.templateId, ++seq, at));
              else if (present.has(s.slot)) await m.insert(ReaderOpEntity, this.op(readerId, 'delete', s.slot, null, ++seq, at));
              else await m.delete(ReaderSlotEntity, { readerId, slot: s.slot, state: 'deleting' });
            }
          });
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
    await this.tx((m) => m.insert(ReaderReconciliationEntity, { id: randomUUID(), readerId, ...view }));
    this.lastReconciliation.set(readerId, view);
    if (view.ghostsDeleted > 0 || view.missingPushed > 0) {
      this.logger.warn(
        `reader ${readerId}: reconciliation found drift: ${view.ghostsDeleted} ghost(s) deleted, ${view.missingPushed} missing template(s) queued`,
      );
    }
    this.kick(readerId);
    return view;
  }

  // ------------------------------------------------------------------ API for badge-in and erasure

  /**
   * Badge-in: which template and person a Search hit (reader, slot) stands for; null for an unknown
   * slot or one still being stored. Served from memory, reloaded only after this service changed
   * the bookkeeping, so the decision path does not read the database per badge.
   */
  async slotOwner(readerId: string, slot: number): Promise<SlotOwner | null> {
    if (!this.slotCache || this.slotCache.version !== this.slotVersion) {
      const version = this.slotVersion;
      const owners = this.loadOwners();
      this.slotCache = { version, owners };
      owners.catch(() => {
        if (this.slotCache?.owners === owners) this.slotCache = undefined;
      });
    }
    return (await this.slotCache.owners).get(`${readerId}:${slot}`) ?? null;
  }

  private async loadOwners(): Promise<Map<string, SlotOwner>> {
    const rows = await this.ds.getRepository(ReaderSlotEntity).find();
    const owners = new Map<string, SlotOwner>();
    for (const r of rows) {
      if (r.state === 'storing') continue;
      owners.set(`${r.readerId}:${r.slot}`, { templateId: r.templateId, personId: r.personId, customerId: r.customerId, state: r.state });
    }
    return owners;
  }

  /**
   * Duplicate-finger check over the door libraries (docs/r503-protocol.md §Flows, enrolment: Search
   * before Store): the probe template goes into buffer 1 of as few ready door readers as cover the
   * most candidate templates (greedy), and each library is searched. A hit on a slot that is not a
   * candidate (the finger being replaced, a template on its way out) is stepped around by searching
   * the ranges on either side. Returns the matching template id, and the candidates that were
   * searched; the caller checks the rest another way.
   */
  async searchLibraries(probe: Buffer, candidates: ReadonlySet<string>): Promise<{ match: string | null; covered: Set<string> }> {
    const byReader = new Map<string, Map<number, string>>();
    for (const s of await this.ds.getRepository(ReaderSlotEntity).find({ where: { state: 'stored' } })) {
      if (!candidates.has(s.templateId) || !this.manager.isReady(s.readerId) || this.manager.templateSizeOf(s.readerId) !== probe.length) continue;
      const m = byReader.get(s.readerId) ?? new Map<number, string>();
      m.set(s.slot, s.templateId);
      byReader.set(s.readerId, m);
    }
    const covered = new Set<string>();
    for (;;) {
      let best: string | undefined;
      let bestGain = 0;
      for (const [readerId, m] of byReader) {
        let gain = 0;
        for (const t of m.values()) if (!covered.has(t)) gain++;
        if (gain > bestGain) [best, bestGain] = [readerId, gain];
      }
      if (!best) return { match: null, covered };
      const slots = byReader.get(best)!;
      byReader.delete(best);
      let match: string | null;
      try {
        match = await this.manager.withReader(best, (r) => this.searchOne(r, probe, slots));
      } catch {
        continue; // the reader went away: its templates stay uncovered
      }
      if (match) return { match, covered };
      for (const t of slots.values()) covered.add(t);
    }
  }

  private async searchOne(r: FingerprintReader, probe: Buffer, slots: ReadonlyMap<number, string>): Promise<string | null> {
    await r.downloadTemplate(1, probe);
    const capacity = r.info?.capacity ?? 0;
    const ranges: Array<[number, number]> = [[0, capacity]];
    for (let searches = 0; ranges.length > 0 && searches <= capacity; searches++) {
      const [start, end] = ranges.pop()!;
      if (end <= start) continue;
      const hit = await r.search(1, start, end - start);
      if (!hit || hit.pageId < start || hit.pageId >= end) continue;
      const templateId = slots.get(hit.pageId);
      if (templateId) return templateId;
      ranges.push([start, hit.pageId], [hit.pageId + 1, end]);
    }
    return null;
  }

  /**
   * Delete a person's, a customer's or one template's fingerprints from every reader (through the
   * outbox) and, unless `keepServerCopy`, from the server in the same transaction. Keep the server
   * copy only when the subject is no longer covered by any door (restriction, ended service):
   * otherwise the next plan would store it again. Await {@link waitForOps} or poll
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
    const ticket = await this.tx(async (m) => {
      await clusterLock(m, 'reader-ops');
      const slots = await m.find(ReaderSlotEntity, { where });
      const opIds: string[] = [];
      let seq = await this.maxSeq(m);
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
        else seq = await this.enqueueDelete(m, s.readerId, s.slot, seq, now, opIds);
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
    const id = await this.tx(async (m) => {
      await clusterLock(m, 'reader-ops');
      await m.update(ReaderSlotEntity, { readerId }, { state: 'deleting', updatedAt: now });
      await m.update(ReaderOpEntity, { readerId, kind: 'store', state: 'pending' }, { state: 'skipped', lastError: 'superseded', doneAt: now });
      const op = this.op(readerId, 'empty', null, null, (await this.maxSeq(m)) + 1, now);
      await m.insert(ReaderOpEntity, op);
      return op.id;
    });
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

  /** Resolves with the ops' final states once none is pending, or rejects after `timeoutMs`. */
  async waitForOps(opIds: string[], timeoutMs = 30_000, pollMs = 50): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ops = opIds.length === 0 ? [] : await this.ds.getRepository(ReaderOpEntity).find({ where: { id: In(opIds) }, select: { id: true, state: true } });
      if (ops.every((o) => o.state !== 'pending')) return Object.fromEntries(ops.map((o) => [o.id, o.state]));
      if (Date.now() > deadline) throw new Error(`${ops.filter((o) => o.state === 'pending').length} reader operation(s) still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Resolves when no op is pending on the given readers (all when omitted) and no plan is running. */
  async settled(readerIds?: string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.planning) await this.planning.catch(() => undefined);
      const where = readerIds ? { readerId: In(readerIds), state: 'pending' as const } : { state: 'pending' as const };
      const pending = await this.ds.getRepository(ReaderOpEntity).count({ where });
      if (pending === 0 && !this.planning && !this.planTimer) return;
      if (Date.now() > deadline) throw new Error(`${pending} reader operation(s) still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ------------------------------------------------------------------ staff views

  /** Capacity planning with the real number of enrolled fingers per person. */
  async capacityLoads(): Promise<ReaderLoad[]> {
    const counts = await this.fingerCounts();
    return this.capacityLoadsWith((p) => counts.get(p) ?? 0);
  }

  async capacityLoadsWith(enrolledFingers: (personId: string) => number): Promise<ReaderLoad[]> {
    const [snapshot, readers, doors] = await Promise.all([
      this.snapshots.current(),
      this.ds.getRepository(ReaderEntity).find(),
      this.ds.getRepository(DoorEntity).find(),
    ]);
    return readerLoads(snapshot, readers, doors, this.clock.nowMs(), enrolledFingers);
  }

  fingerCounts(): Promise<Map<string, number>> {
    return this.fingers.counts(this.ds.manager);
  }

  async libraries(): Promise<ReaderLibraryView[]> {
    const readers = await this.ds.getRepository(ReaderEntity).find({ order: { name: 'ASC' } });
    const loads = new Map((await this.capacityLoads()).map((l) => [l.readerId, l]));
    return Promise.all(readers.map((r) => this.view(r, loads.get(r.id))));
  }

  async library(readerId: string): Promise<ReaderLibraryView & { ops: ReaderOpEntity[] }> {
    const reader = await this.ds.getRepository(ReaderEntity).findOne({ where: { id: readerId } });
    if (!reader) throw new NotFoundError('Reader', readerId);
    const load = (await this.capacityLoads()).find((l) => l.readerId === readerId);
    const ops = await this.ds.getRepository(ReaderOpEntity).find({ where: { readerId, state: In(['pending', 'failed']) }, order: { seq: 'ASC' }, take: 100 });
    return { ...(await this.view(reader, load)), ops };
  }

  private async view(r: ReaderEntity, load: ReaderLoad | undefined): Promise<ReaderLibraryView> {
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
        this.lastReconciliation.get(r.id) ??
        (last
          ? { at: last.at, found: last.found, expected: last.expected, missingPushed: last.missingPushed, ghostsDeleted: last.ghostsDeleted, error: last.error }
          : null),
    };
  }
}
