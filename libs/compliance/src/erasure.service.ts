import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource, In, IsNull, type EntityManager } from 'typeorm';
import { accessEventHash, AccessEventEntity, ACCESS_GENESIS_HASH } from '@acs/access-log';
import { AuditService, type AuditActor } from '@acs/audit';
import { ApiTokenEntity } from '@acs/auth';
import { Clock } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { DataKeyEntity, KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { FingerprintTemplateEntity, ReaderLibraryService, ReaderManager, type ErasureSubject } from '@acs/reader-fleet';
import { ConflictError, NotFoundError } from '@acs/http';
import { CustomerEntity, customerScope, customerStatus, GrantEntity, PersonalData, PersonEntity, RegistryChanges } from '@acs/registry';
import { closeCaseForErasure } from './case-closure.js';
import { ErasureCertificateEntity, ErasureJobEntity, LegalHoldEntity, type ErasureKind, type ErasureStep } from './entities.js';
import { sqliteFiles, type FileScan } from './scan-paths.js';
import { scanFilesInChild } from './scan-process.js';
import { scanTables } from './table-scan.js';
import { certificateHash } from './certificates/certificate-hash.js';
import { CertificateEvidence } from './certificates/certificate-evidence.js';
import { CheckpointService } from './checkpoints/checkpoint.service.js';

const DAY_MS = 86_400_000;
/** Tables an erasure deletes from or rewrites (old row versions hold the values until VACUUM on PostgreSQL). */
const ERASED_TABLES = [FingerprintTemplateEntity, PersonEntity, GrantEntity, CustomerEntity, AccessEventEntity, DataKeyEntity];
/** History rows deleted or rewritten per transaction: badge-in events and decisions interleave between chunks (about 35 ms each at 1M rows). */
const HISTORY_CHUNK = 2000;
/**
 * better-sqlite3 answers synchronously, so a loop of awaited queries never lets timers or sockets
 * run: badge-in would stall for the whole history step. Each chunk ends with a real yield.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    values: { plaintext: number; ciphertext: number; keyPrefix: boolean; collectedInThisRun: boolean };
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

/** Values to look for in the database files: kept in memory only, never persisted. */
interface Needles {
  plaintext: Buffer[];
  /** Ciphertexts of names, e-mail and phone. */
  ciphertext: Buffer[];
  templates: Buffer[];
}

const iso = (ms: number) => new Date(ms).toISOString();
/** A slice of a ciphertext past the key-id header: random bytes, unique to that value. */
const ctSlice = (ct: string | null | undefined): Buffer | null => (ct && ct.length >= 100 ? Buffer.from(ct.slice(56, 104)) : ct ? Buffer.from(ct) : null);

/**
 * Prefix of every ciphertext sealed under a data key (KeyService layout: version, id length, id):
 * searching the files for it finds any surviving value of the customer, whoever wrote it.
 */
export function keyPrefix(keyId: string): Buffer {
  const header = Buffer.concat([Buffer.from([1, Buffer.byteLength(keyId)]), Buffer.from(keyId, 'utf8')]);
  const whole = Math.floor(header.length / 3) * 3;
  return Buffer.from(header.subarray(0, whole).toString('base64'));
}

export { certificateHash };

/**
 * Erasure as a persisted state machine (issue 9): customer purge at end of service, erasure of
 * one person, withdrawal of consent to biometrics. Steps, in order, each idempotent:
 * readers (DeletChar everywhere, verified with ReadIndexTable; waits for offline readers) →
 * server_data (template rows, people, contact) → history (retention policy) → key
 * (crypto-shredding) → physical (WAL checkpoint TRUNCATE + byte scan) → certificate.
 */
@Injectable()
export class ErasureService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Erasure');
  private readonly running = new Map<string, Promise<void>>();
  private readonly needles = new Map<string, Needles>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Period of the runner that advances waiting jobs (tests shorten it). */
  pollMs = 2000;
  /**
   * Test seam for the crash tests: called at named points inside the steps; throwing there
   * aborts the step as a crash would (the job row says where to resume).
   */
  faultHook?: (point: string, job: ErasureJobEntity) => void;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly keys: KeyService,
    private readonly pd: PersonalData,
    private readonly library: ReaderLibraryService,
    private readonly manager: ReaderManager,
    private readonly changes: RegistryChanges,
    private readonly audit: AuditService,
    private readonly certificateEvidence: CertificateEvidence,
    @Optional() private readonly leases?: LeaseService,
    @Optional() private readonly checkpoints?: CheckpointService,
  ) {}

  onApplicationBootstrap(): void {
    this.manager.on('ready', this.onReaderReady);
    this.schedule();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.manager.off('ready', this.onReaderReady);
    await Promise.allSettled([...this.running.values()]);
  }

  private readonly onReaderReady = (): void => {
    // A returning reader may be what a waiting job needs: look again soon (its deletes run first).
    setTimeout(() => void this.tick(), 200).unref?.();
  };

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref?.();
  }

  /** Advance every unfinished job once (resumes after a restart). */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const jobs = await this.ds.getRepository(ErasureJobEntity).find({ where: { state: In(['running', 'waiting_for_devices']) }, select: { id: true } });
    await Promise.allSettled(jobs.map((j) => this.advance(j.id)));
  }

  // ------------------------------------------------------------------ starting jobs

  async preview(customerId: string): Promise<PurgePreview> {
    const c = await this.mustCustomer(customerId);
    const m = this.ds.manager;
    const [people, templates, slots, historyEvents, holds, key] = await Promise.all([
      m.count(PersonEntity, { where: { customerId } }),
      m.count(FingerprintTemplateEntity, { where: { customerId } }),
      this.library.erasureStatus({ customerId }),
      m.count(AccessEventEntity, { where: { customerId } }),
      m.count(LegalHoldEntity, { where: { customerId, releasedAt: IsNull() } }),
      this.keys.hasScope(customerScope(customerId)),
    ]);
    const dueAt = c.serviceEnd === null ? null : c.serviceEnd + this.config.PURGE_GRACE_DAYS * DAY_MS;
    return {
      customerId,
      contractRef: c.contractRef,
      status: customerStatus(c, this.clock.nowMs()),
      due: dueAt !== null && this.clock.nowMs() >= dueAt && c.purgedAt === null,
      dueAt: dueAt === null ? null : iso(dueAt),
      people,
      templates,
      readersHoldingTemplates: slots.length,
      historyEvents,
      historyPolicy:
        this.config.HISTORY_RETENTION === 'delete' ? 'delete at end of service' : `pseudonymise, delete after ${this.config.HISTORY_KEEP_DAYS} days`,
      legalHolds: holds,
      dataKeyPresent: key,
    };
  }

  /** Start (or return the running) purge of a customer whose service has ended. */
  async startCustomerPurge(customerId: string, trigger: 'schedule' | 'manual', actor: AuditActor | null): Promise<ErasureJobView> {
    const c = await this.mustCustomer(customerId);
    const existing = await this.ds.getRepository(ErasureJobEntity).findOne({ where: { customerId, kind: 'customer' }, order: { createdAt: 'DESC' } });
    if (existing && existing.state !== 'done') return this.view(existing);
    if (c.purgedAt !== null || existing) throw new ConflictError('compliance.already_purged', 'the customer has been purged');
    if (customerStatus(c, this.clock.nowMs()) !== 'ended') {
      throw new ConflictError('compliance.service_not_ended', 'a customer is purged only after its service has ended');
    }
    return this.create('customer', c, null, trigger, actor, null);
  }

  /** Erasure of one person (Art. 17), or of their templates only (consent withdrawn, objection). */
  async startPersonErasure(personId: string, kind: 'person' | 'biometrics', actor: AuditActor | null, caseId: string | null): Promise<ErasureJobView> {
    const p = await this.ds.getRepository(PersonEntity).findOne({ where: { id: personId } });
    if (!p) throw new NotFoundError('Person', personId);
    const running = await this.ds.getRepository(ErasureJobEntity).findOne({ where: { personId, kind, state: In(['running', 'waiting_for_devices', 'held']) } });
    if (running) return this.view(running);
    const c = await this.mustCustomer(p.customerId);
    return this.create(kind, c, personId, caseId ? 'request' : 'manual', actor, caseId);
  }

  /**
   * Erases again what a signed certificate says was erased and a restored backup brought back
   * (issue 15, part 4); the new certificate names the ones it repeats. Idempotent: a running
   * erasure of the same subject is returned.
   */
  async startReapply(
    u: { kind: ErasureKind; customerId: string; personId: string | null; certificates: string[] },
    actor: AuditActor | null,
  ): Promise<ErasureJobView> {
    const running = await this.ds.getRepository(ErasureJobEntity).findOne({
      where: {
        customerId: u.customerId,
        kind: u.kind,
        ...(u.personId ? { personId: u.personId } : {}),
        state: In(['running', 'waiting_for_devices', 'held']),
      },
    });
    if (running) return this.view(running);
    return this.create(u.kind, await this.mustCustomer(u.customerId), u.personId, 'reapply', actor, null, u.certificates);
  }

  private async create(
    kind: ErasureKind,
    c: CustomerEntity,
    personId: string | null,
    trigger: string,
    actor: AuditActor | null,
    caseId: string | null,
    reapplies?: string[],
  ): Promise<ErasureJobView> {
    const now = this.clock.nowMs();
    const key = await this.ds.getRepository(DataKeyEntity).findOne({ where: { scope: customerScope(c.id) } });
    const templateRows = await this.ds.getRepository(FingerprintTemplateEntity).countBy(kind === 'customer' ? { customerId: c.id } : { personId: personId! });
    // Counted before anything is erased: a resumed step cannot count what an earlier attempt removed.
    const data: ErasureData = {
      keyId: key?.id ?? null,
      contractRef: c.contractRef,
      serviceEnd: c.serviceEnd,
      steps: {},
      counts: { templateRows },
      certificateIds: [],
      ...(reapplies ? { reapplies } : {}),
    };
    const job: ErasureJobEntity = {
      id: randomUUID(),
      kind,
      customerId: c.id,
      personId,
      state: 'running',
      step: 'readers',
      trigger,
      requestedBy: actor ? `${actor.actorType}:${actor.actorId ?? '-'}` : 'scheduler',
      caseId,
      data: JSON.stringify(data),
      lastError: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    // Collected before anything is erased; only this process's memory ever holds them.
    await this.collectNeedles(job);
    await this.writes.transaction((m) => m.insert(ErasureJobEntity, job));
    await this.audit.record({
      actor: actor ?? { actorType: 'system', actorId: null, role: null },
      action: `compliance.erasure.started`,
      targetType: kind === 'customer' ? 'customer' : 'person',
      targetId: kind === 'customer' ? c.id : personId,
      outcome: 'success',
      details: { jobId: job.id, kind, trigger },
    });
    void this.advance(job.id);
    return this.view(job);
  }

  // ------------------------------------------------------------------ running

  /** Run the job's steps until it finishes, waits for readers or is held. One runner per job. */
  advance(jobId: string): Promise<void> {
    const current = this.running.get(jobId);
    if (current) return current;
    const run = this.advanceOnce(jobId)
      .catch(async (err: unknown) => {
        const msg = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`.slice(0, 255);
        this.logger.warn(`erasure job ${jobId} stopped at a step, will resume: ${msg}`);
        await this.writes
          .transaction((m) => m.update(ErasureJobEntity, { id: jobId }, { lastError: msg, updatedAt: this.clock.nowMs() }))
          .catch(() => undefined);
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
    return run;
  }

  /** Resolves when the job is done, held or (after `timeoutMs`) rejects. */
  async waitFor(jobId: string, states: string[] = ['done'], timeoutMs = 60_000): Promise<ErasureJobEntity> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.advance(jobId);
      const job = await this.mustJob(jobId);
      if (states.includes(job.state)) return job;
      if (Date.now() > deadline) throw new Error(`erasure job ${jobId} is ${job.state} at ${job.step} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async advanceOnce(jobId: string): Promise<void> {
    const lease = `erasure:${jobId}`;
    for (;;) {
      if (this.stopped) return;
      // One instance of the cluster runs a job; taken again before each step, so an instance that
      // died mid-step hands the job over once its lease runs out (the steps are idempotent).
      if (this.leases && !(await this.leases.acquire(lease))) return;
      const job = await this.mustJob(jobId);
      if (job.state === 'done' || job.state === 'held') {
        await this.leases?.release(lease);
        return;
      }
      // Fault testing (ERASURE_PAUSE_BEFORE_STEP): leave the job at this step; the runner looks again on its next tick.
      if (this.config.ERASURE_PAUSE_BEFORE_STEP === job.step) return;
      await this.ensureNeedles(job);
      const data = JSON.parse(job.data) as ErasureData;
      const now = this.clock.nowMs();
      data.steps[job.step] ??= { startedAt: now };
      const step = job.step;
      let next: ErasureStep | 'wait' | 'held' | 'done';
      switch (step) {
        case 'readers':
          next = (await this.stepReaders(job, data)) ? 'server_data' : 'wait';
          break;
        case 'server_data':
          await this.stepServerData(job, data);
          next = 'history';
          break;
        case 'history':
          await this.stepHistory(job, data);
          next = 'key';
          break;
        case 'key':
          await this.stepKey(job, data);
          next = 'physical';
          break;
        case 'physical':
          await this.stepPhysical(job, data);
          next = 'certificate';
          break;
        case 'certificate':
          next = await this.stepCertificate(job, data);
          break;
        default:
          return;
      }
      if (next === 'wait') {
        await this.save(job.id, { state: 'waiting_for_devices', data: JSON.stringify(data), lastError: null });
        return;
      }
      if (next === 'done' || next === 'held') return; // the certificate step saved the job itself
      data.steps[step]!.finishedAt = this.clock.nowMs();
      this.faultHook?.(`before-save:${step}`, job);
      await this.save(job.id, { state: 'running', step: next, data: JSON.stringify(data), lastError: null });
    }
  }

  private async save(id: string, patch: Partial<ErasureJobEntity>): Promise<void> {
    await this.writes.transaction((m) => m.update(ErasureJobEntity, { id }, { ...patch, updatedAt: this.clock.nowMs() }));
  }

  private subject(job: ErasureJobEntity): ErasureSubject {
    return job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! };
  }

  /** Step 1: DeletChar on every reader through the outbox, confirmed with ReadIndexTable. */
  private async stepReaders(job: ErasureJobEntity, data: ErasureData): Promise<boolean> {
    const subject = this.subject(job);
    if (!data.readers) {
      // The readers holding the subject are written down before any delete is queued: once the
      // deletes are verified the bookkeeping forgets those readers, and the certificate must not.
      const before = await this.library.erasureStatus(subject);
      data.readers = { readerIds: before.map((r) => r.readerId), deletesQueued: before.reduce((n, r) => n + r.remainingSlots, 0), confirmations: {} };
      data.counts.readerSlots = data.readers.deletesQueued;
      await this.save(job.id, { data: JSON.stringify(data) });
    }
    // A customer whose service ended is covered by no door, so the server copy stays until step
    // 2. A person's templates go from the server in the same transaction that queues the
    // deletes: otherwise the next plan would store them again.
    const ticket = await this.library.eraseTemplatesOf(subject, { keepServerCopy: job.kind === 'customer' });
    this.faultHook?.('readers:queued', job);
    for (const r of ticket.readerIds) if (!data.readers.readerIds.includes(r)) data.readers.readerIds.push(r);
    const status = await this.library.erasureStatus(subject, data.readers.readerIds);
    const now = this.clock.nowMs();
    for (const s of status) {
      const prev = data.readers.confirmations[s.readerId];
      data.readers.confirmations[s.readerId] = {
        readerId: s.readerId,
        confirmedAt: s.confirmed ? (prev?.confirmedAt ?? now) : null,
        remainingSlots: s.remainingSlots,
        pendingOps: s.pendingOpIds.length,
      };
      if (!data.readers.readerIds.includes(s.readerId)) data.readers.readerIds.push(s.readerId);
    }
    data.counts.readers = data.readers.readerIds.length;
    return status.every((s) => s.confirmed);
  }

  private async activeHolds(job: ErasureJobEntity): Promise<LegalHoldEntity[]> {
    const holds = await this.ds.getRepository(LegalHoldEntity).find({ where: { customerId: job.customerId, releasedAt: IsNull() } });
    // Holds never stop the templates. For a customer purge any hold (whole customer or one person) defers
    // names, history and the key: the key seals every name, so it cannot go while one is held.
    if (job.kind === 'customer') return holds;
    return holds.filter((h) => h.personId === null || h.personId === job.personId);
  }

  private defer(data: ErasureData, part: string, holds: LegalHoldEntity[]): void {
    data.deferred ??= { parts: [], holdIds: [] };
    if (!data.deferred.parts.includes(part)) data.deferred.parts.push(part);
    for (const h of holds) if (!data.deferred.holdIds.includes(h.id)) data.deferred.holdIds.push(h.id);
  }

  private undefer(data: ErasureData, part: string): void {
    if (data.deferred) data.deferred.parts = data.deferred.parts.filter((p) => p !== part);
  }

  /** Step 2: template rows, then (unless held) people, their grants and the contact person. */
  private async stepServerData(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const holds = await this.activeHolds(job);
    const now = this.clock.nowMs();
    const held = holds.length > 0;
    const deletedPeople: string[] = [];
    await this.writes.transaction(async (m): Promise<unknown> => {
      const tWhere = job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! };
      await m.delete(FingerprintTemplateEntity, tWhere);
      if (job.kind === 'customer') {
        // A purged customer's self-service tokens stop working with the purge, hold or not: a hold
        // keeps records for an authority, not the customer's access to them.
        const revoked = await m.update(ApiTokenEntity, { customerId: job.customerId, revokedAt: IsNull() }, { revokedAt: now });
        data.counts.tokensRevoked = (data.counts.tokensRevoked ?? 0) + (revoked.affected ?? 0);
      }
      // The step's result is saved in its own transaction: a crash cannot separate the two.
      const commit = () => m.update(ErasureJobEntity, { id: job.id }, { step: 'history', data: JSON.stringify(data), updatedAt: now });
      if (job.kind === 'biometrics') return commit();
      if (held) {
        this.defer(data, 'names', holds);
        return commit();
      }
      const people = await m.find(PersonEntity, {
        where: job.kind === 'customer' ? { customerId: job.customerId } : { id: job.personId! },
        select: { id: true },
      });
      const ids = people.map((p) => p.id);
      if (ids.length > 0) {
        data.counts.personGrants = (data.counts.personGrants ?? 0) + (await m.delete(GrantEntity, { personId: In(ids) })).affected!;
        data.counts.people = (data.counts.people ?? 0) + ((await m.delete(PersonEntity, { id: In(ids) })).affected ?? 0);
      } else data.counts.people ??= 0;
      deletedPeople.push(...ids);
      if (job.kind === 'customer') {
        const c = await m.findOneOrFail(CustomerEntity, { where: { id: job.customerId } });
        if (c.contactNameCt !== null || c.contactEmailCt !== null || c.contactPhoneCt !== null) data.counts.contactPerson = 1;
        data.counts.contactPerson ??= 0;
        await m.update(
          CustomerEntity,
          { id: c.id },
          { contactNameCt: null, contactEmailCt: null, contactPhoneCt: null, purgedAt: c.purgedAt ?? now, updatedAt: now },
        );
      }
      this.undefer(data, 'names');
      data.steps.server_data!.finishedAt = now;
      return commit();
    });
    for (const id of deletedPeople) this.changes.emit({ kind: 'person', id, op: 'deleted', customerId: job.customerId });
    if (job.kind === 'customer' && !held) this.changes.emit({ kind: 'customer', id: job.customerId, op: 'updated', customerId: job.customerId });
  }

  /** Step 3: the retention policy for the access history (customer), or the person's events. */
  private async stepHistory(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    if (job.kind === 'biometrics') return;
    const holds = await this.activeHolds(job);
    if (holds.length > 0) {
      this.defer(data, 'history', holds);
      return;
    }
    const chainId = job.customerId;
    if (!data.history) {
      const head = await this.head(chainId);
      const events = await this.ds
        .getRepository(AccessEventEntity)
        .count({ where: job.kind === 'customer' ? { customerId: chainId } : { personId: job.personId! } });
      const mode = job.kind === 'person' ? 'strip_person' : this.config.HISTORY_RETENTION;
      data.history = { mode, events, erasedHeadSeq: head?.seq ?? null, erasedHeadHash: head?.hash ?? null };
      // The head is written down before the first row goes, so a resumed step certifies the original chain.
      await this.save(job.id, { data: JSON.stringify(data) });
    }
    const h = data.history;
    if (h.mode === 'delete') {
      await this.deleteChain(job, chainId);
    } else if (h.mode === 'pseudonymise') {
      await this.stripIdentity(chainId, { customerId: chainId });
      const head = await this.rechain(chainId);
      h.newHeadSeq = head?.seq ?? null;
      h.newHeadHash = head?.hash ?? null;
      h.keepUntil = (data.serviceEnd ?? this.clock.nowMs()) + this.config.HISTORY_KEEP_DAYS * DAY_MS;
    } else {
      // One person's events leave the customer's chain; the chain is re-linked and both heads certified.
      await this.deleteWhere({ personId: job.personId! });
      const head = await this.rechain(chainId);
      h.newHeadSeq = head?.seq ?? null;
      h.newHeadHash = head?.hash ?? null;
    }
    this.undefer(data, 'history');
  }

  private async head(chainId: string): Promise<{ seq: number; hash: string } | null> {
    const row = await this.ds.getRepository(AccessEventEntity).findOne({ where: { chainId }, order: { seq: 'DESC' }, select: { seq: true, hash: true } });
    return row ? { seq: row.seq, hash: row.hash } : null;
  }

  /** Newest first, in chunks: what is left at any moment is a valid shorter chain. */
  private async deleteChain(job: ErasureJobEntity, chainId: string): Promise<void> {
    for (let round = 0; ; round++) {
      const n = await this.writes.transaction(async (m) => {
        const rows = await m.find(AccessEventEntity, { where: { chainId }, order: { seq: 'DESC' }, take: HISTORY_CHUNK, select: { id: true } });
        if (rows.length === 0) return 0;
        await m.delete(AccessEventEntity, { id: In(rows.map((r) => r.id)) });
        return rows.length;
      });
      if (n === 0) return;
      if (round === 0) this.faultHook?.('history:chunk', job);
      await yieldToEventLoop();
    }
  }

  private async deleteWhere(where: { personId: string }): Promise<void> {
    for (;;) {
      const n = await this.writes.transaction(async (m) => {
        const rows = await m.find(AccessEventEntity, { where, take: HISTORY_CHUNK, select: { id: true } });
        if (rows.length > 0) await m.delete(AccessEventEntity, { id: In(rows.map((r) => r.id)) });
        return rows.length;
      });
      if (n === 0) return;
      await yieldToEventLoop();
    }
  }

  private async stripIdentity(_chainId: string, where: { customerId: string }): Promise<void> {
    await this.writes.transaction((m) =>
      m
        .createQueryBuilder()
        .update(AccessEventEntity)
        .set({ personId: null })
        .where('customer_id = :c', { c: where.customerId })
        .andWhere('person_id IS NOT NULL')
        .execute(),
    );
  }

  /**
   * Re-links a chain after rows were removed or rewritten: renumbers from 1 and recomputes every
   * hash, in ascending chunks (deterministic, so a resumed run reaches the same head).
   */
  private async rechain(chainId: string): Promise<{ seq: number; hash: string } | null> {
    let prev = ACCESS_GENESIS_HASH;
    let seq = 0;
    let after = -1;
    for (;;) {
      const rows = await this.ds
        .getRepository(AccessEventEntity)
        .createQueryBuilder('e')
        .where('e.chainId = :chainId', { chainId })
        .andWhere('e.seq > :after', { after })
        .orderBy('e.seq', 'ASC')
        .take(HISTORY_CHUNK)
        .getMany();
      if (rows.length === 0) break;
      await this.writes.transaction(async (m) => {
        for (const r of rows) {
          seq++;
          const hash = accessEventHash({ ...r, seq, prevHash: prev });
          if (r.seq !== seq || r.prevHash !== prev || r.hash !== hash) await m.update(AccessEventEntity, { id: r.id }, { seq, prevHash: prev, hash });
          prev = hash;
        }
      });
      after = seq;
      await yieldToEventLoop();
    }
    return seq === 0 ? null : { seq, hash: prev };
  }

  /** Step 4: destroy the customer's data key (every copy of every ciphertext becomes noise). */
  private async stepKey(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    if (job.kind !== 'customer') {
      data.key = { destroyed: false, reason: 'shared_customer_key' };
      return;
    }
    const holds = await this.activeHolds(job);
    if (holds.length > 0) {
      // Names under a hold are still sealed with this key; the templates' rows are already gone.
      this.defer(data, 'key', holds);
      data.key = { destroyed: false, reason: 'legal_hold' };
      return;
    }
    const existed = await this.keys.destroyScope(customerScope(job.customerId));
    data.key = { destroyed: existed || data.key?.destroyed === true || !(await this.keys.hasScope(customerScope(job.customerId))) };
    this.undefer(data, 'key');
  }

  /**
   * Step 5: make the erased rows physically unreachable, then look for the erased values.
   * SQLite: checkpoint and truncate the WAL, then a byte scan of every file. PostgreSQL: VACUUM
   * the tables the erasure wrote to, then a scan of every text and bytea column in SQL.
   */
  private async stepPhysical(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const collected = this.needles.get(job.id);
    // Names under a legal hold are legitimately still there: then only the templates are looked for.
    const namesHeld = data.deferred?.parts.includes('names') === true;
    const needles: Buffer[] = [...(namesHeld ? [] : [...(collected?.plaintext ?? []), ...(collected?.ciphertext ?? [])]), ...(collected?.templates ?? [])];
    const withPrefix = job.kind === 'customer' && data.keyId !== null && data.key?.destroyed === true;
    if (withPrefix) needles.push(keyPrefix(data.keyId!));
    const values = {
      plaintext: namesHeld ? 0 : (collected?.plaintext.length ?? 0),
      ciphertext: (namesHeld ? 0 : (collected?.ciphertext.length ?? 0)) + (collected?.templates.length ?? 0),
      keyPrefix: withPrefix,
      collectedInThisRun: collected !== undefined,
    };
    if (this.ds.options.type === 'postgres') {
      data.physical = await this.physicalPostgres(needles, values);
      return;
    }
    const files = sqliteFiles(this.config.databasePath);
    let t0 = performance.now();
    let checkpoint = await this.checkpoint();
    let checkpointMs = performance.now() - t0;
    t0 = performance.now();
    let scan = await scanFilesInChild(files, needles);
    let scanMs = performance.now() - t0;
    let vacuumed = false;
    if (scan.some((f) => f.hits > 0)) {
      // secure_delete zeroes freed cells; VACUUM rebuilds the file for anything else (docs/sqlite-durability.md §Secure delete).
      t0 = performance.now();
      await this.writes.run(async () => this.db().exec('VACUUM'));
      checkpoint = await this.checkpoint();
      checkpointMs += performance.now() - t0;
      t0 = performance.now();
      scan = await scanFilesInChild(files, needles);
      scanMs += performance.now() - t0;
      vacuumed = true;
    }
    data.physical = {
      checkpoint,
      vacuumed,
      values,
      files: scan,
      clean: scan.every((f) => f.hits === 0) && checkpoint.busy === 0,
      checkpointMs: Math.round(checkpointMs),
      scanMs: Math.round(scanMs),
    };
  }

  /**
   * PostgreSQL keeps deleted and overwritten row versions in the table files until VACUUM (there
   * is no secure_delete): every table the erasure deleted from or updated is vacuumed, through the
   * write queue so no write of ours interleaves, and outside a transaction as VACUUM requires.
   * This is defence in depth, not the guarantee: the bytes of freed space, WAL segments and
   * backups are the cluster operator's, which is why the customer's data key was destroyed.
   */
  private async physicalPostgres(needles: Buffer[], values: NonNullable<ErasureData['physical']>['values']): Promise<NonNullable<ErasureData['physical']>> {
    const tables = ERASED_TABLES.map((e) => this.ds.getMetadata(e).tableName);
    // A session of its own without the statement timeout: a vacuum or scan of a large history
    // may take longer, and a cancelled one would only be retried from the start.
    const session = this.ds.createQueryRunner();
    try {
      await session.query('SET statement_timeout = 0');
      let t0 = performance.now();
      // One table per turn of the queue: badge-in events are written between tables, not after all.
      for (const table of tables) await this.writes.run(() => session.query(`VACUUM (ANALYZE) "${table}"`));
      const vacuumMs = performance.now() - t0;
      t0 = performance.now();
      const scan = await scanTables(session, needles);
      const scanMs = performance.now() - t0;
      return {
        driver: 'postgres',
        vacuumed: true,
        vacuum: { tables, ms: Math.round(vacuumMs) },
        values,
        files: scan,
        clean: scan.every((f) => f.hits === 0),
        scanMs: Math.round(scanMs),
      };
    } finally {
      // The pool reuses the connection: it must not keep the lifted timeout.
      await session.query('RESET statement_timeout').catch(() => undefined);
      await session.release();
    }
  }

  private db(): BetterSqlite3.Database {
    return (this.ds.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
  }

  async checkpoint(): Promise<{ busy: number; log: number; checkpointed: number }> {
    for (let i = 0; ; i++) {
      const [r] = await this.writes.run(async () => this.db().pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>);
      if (r.busy === 0 || i >= 20) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Step 6: the certificate; a held job waits for the release and then certifies the rest. */
  private async stepCertificate(job: ErasureJobEntity, data: ErasureData): Promise<'done' | 'held'> {
    const now = this.clock.nowMs();
    const deferred = data.deferred?.parts ?? [];
    const complete = deferred.length === 0;
    const id = randomUUID();
    data.steps.certificate!.finishedAt = now;
    const body = this.certificateBody(id, job, data, now, complete);
    const hash = certificateHash(body);
    data.certificateIds.push(id);
    this.faultHook?.('certificate:issue', job);
    const text = JSON.stringify({ ...body, hash });
    // Signed and on disk outside the database before the row commits (issue 15).
    const { jws } = await this.certificateEvidence.issue(id, text);
    let inserted = false;
    await this.writes.transaction(async (m) => {
      const fresh = await m.findOneOrFail(ErasureJobEntity, { where: { id: job.id } });
      if (fresh.step !== 'certificate') return;
      inserted = true;
      await m.insert(ErasureCertificateEntity, {
        id,
        jobId: job.id,
        kind: job.kind,
        customerId: job.customerId,
        personId: job.personId,
        complete,
        issuedAt: now,
        body: text,
        hash,
        jws,
      });
      if (complete) await closeCaseForErasure(m, job.caseId, id, now);
      // Held: the remaining steps run again from server_data once the hold is released.
      await m.update(
        ErasureJobEntity,
        { id: job.id },
        complete
          ? { state: 'done', step: 'done', data: JSON.stringify(data), finishedAt: now, updatedAt: now, lastError: null }
          : { state: 'held', step: 'server_data', data: JSON.stringify(data), updatedAt: now, lastError: null },
      );
    });
    if (!inserted) this.certificateEvidence.discard(id);
    // The erased chains' new heads are witnessed at once, so a later restore of an older copy shows.
    else
      await this.checkpoints
        ?.take(job.kind === 'customer' ? 'purge' : 'erasure')
        .catch((err: Error) => this.logger.error(`checkpoint after erasure failed: ${err.message}`));
    if (complete) this.needles.delete(job.id);
    await this.audit.record({
      actor: { actorType: 'system', actorId: null, role: null },
      action: 'compliance.erasure.certified',
      targetType: 'erasure_certificate',
      targetId: id,
      outcome: 'success',
      details: { jobId: job.id, kind: job.kind, complete, hash },
    });
    return complete ? 'done' : 'held';
  }

  private certificateBody(id: string, job: ErasureJobEntity, data: ErasureData, now: number, complete: boolean): Record<string, unknown> {
    const steps = Object.fromEntries(
      Object.entries(data.steps).map(([k, v]) => [k, { startedAt: iso(v.startedAt), finishedAt: v.finishedAt ? iso(v.finishedAt) : null }]),
    );
    return {
      certificate: id,
      version: 1,
      kind: job.kind,
      customerId: job.customerId,
      contractRef: data.contractRef,
      personId: job.personId,
      jobId: job.id,
      trigger: job.trigger,
      ranBy: job.requestedBy,
      caseId: job.caseId,
      serviceEnd: data.serviceEnd === null ? null : iso(data.serviceEnd),
      startedAt: iso(job.createdAt),
      issuedAt: iso(now),
      complete,
      steps,
      counts: data.counts,
      readers: Object.values(data.readers?.confirmations ?? {}).map((r) => ({
        readerId: r.readerId,
        confirmedAt: r.confirmedAt ? iso(r.confirmedAt) : null,
        verifiedWith: 'ReadIndexTable',
      })),
      history: data.history
        ? {
            ...data.history,
            keepUntil: data.history.keepUntil ? iso(data.history.keepUntil) : null,
            expiredAt: data.history.expiredAt ? iso(data.history.expiredAt) : null,
          }
        : null,
      dataKey: data.key ?? null,
      physical: data.physical ?? null,
      deferred:
        data.deferred && data.deferred.parts.length > 0
          ? { ...data.deferred, note: 'held under legal hold; erased after release, with a new certificate' }
          : null,
      previousCertificates: data.certificateIds.filter((c) => c !== id),
      ...(data.reapplies ? { reapplies: data.reapplies } : {}),
    };
  }

  // ------------------------------------------------------------------ needles

  private async collectNeedles(job: ErasureJobEntity): Promise<void> {
    const m = this.ds.manager;
    const plaintext: Buffer[] = [];
    const ciphertext: Buffer[] = [];
    const templateSlices: Buffer[] = [];
    const add = async (row: string, field: string, ct: string | null) => {
      if (!ct) return;
      const slice = ctSlice(ct);
      if (slice) ciphertext.push(slice);
      try {
        const v = await this.pd.open(row, field, ct);
        if (v) plaintext.push(Buffer.from(v, 'utf8'));
      } catch {
        // Already unreadable (key destroyed): the ciphertext slice is still looked for.
      }
    };
    if (job.kind !== 'biometrics') {
      const people = await m.find(PersonEntity, { where: job.kind === 'customer' ? { customerId: job.customerId } : { id: job.personId! } });
      for (const p of people) {
        await add(`person:${p.id}`, 'name', p.nameCt);
        await add(`person:${p.id}`, 'email', p.emailCt);
        await add(`person:${p.id}`, 'phone', p.phoneCt);
      }
      if (job.kind === 'customer') {
        const c = await m.findOne(CustomerEntity, { where: { id: job.customerId } });
        if (c) {
          await add(`customer:${c.id}`, 'contact_name', c.contactNameCt);
          await add(`customer:${c.id}`, 'contact_email', c.contactEmailCt);
          await add(`customer:${c.id}`, 'contact_phone', c.contactPhoneCt);
        }
      }
    }
    const templates = await m.find(FingerprintTemplateEntity, {
      where: job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! },
      select: { id: true, templateCt: true },
    });
    for (const t of templates) {
      const slice = ctSlice(t.templateCt);
      if (slice) templateSlices.push(slice);
    }
    // A resumed held job collects names again; template slices from before the hold are kept.
    const earlier = this.needles.get(job.id)?.templates ?? [];
    this.needles.set(job.id, { plaintext, ciphertext, templates: templateSlices.length > 0 ? templateSlices : earlier });
  }

  /** After a restart the values are gone with the old process: collect again while they still exist. */
  private async ensureNeedles(job: ErasureJobEntity): Promise<void> {
    if (this.needles.has(job.id)) return;
    if (job.step === 'readers' || job.step === 'server_data') await this.collectNeedles(job);
  }

  // ------------------------------------------------------------------ legal holds

  async placeHold(customerId: string, personId: string | null, reason: string, reference: string, actor: AuditActor): Promise<LegalHoldEntity> {
    await this.mustCustomer(customerId);
    if (personId) {
      const p = await this.ds.getRepository(PersonEntity).findOne({ where: { id: personId, customerId } });
      if (!p) throw new NotFoundError('Person', personId);
    }
    const hold: LegalHoldEntity = {
      id: randomUUID(),
      customerId,
      personId,
      reason,
      reference,
      placedBy: `${actor.actorType}:${actor.actorId ?? '-'}`,
      placedAt: this.clock.nowMs(),
      releasedBy: null,
      releasedAt: null,
      releaseReason: null,
    };
    await this.writes.transaction((m) => m.insert(LegalHoldEntity, hold));
    return hold;
  }

  async releaseHold(holdId: string, reason: string, actor: AuditActor): Promise<LegalHoldEntity> {
    const now = this.clock.nowMs();
    const hold = await this.writes.transaction(async (m) => {
      const h = await m.findOne(LegalHoldEntity, { where: { id: holdId } });
      if (!h) throw new NotFoundError('LegalHold', holdId);
      if (h.releasedAt !== null) throw new ConflictError('compliance.hold_released', 'the legal hold was already released');
      h.releasedAt = now;
      h.releasedBy = `${actor.actorType}:${actor.actorId ?? '-'}`;
      h.releaseReason = reason;
      await m.save(LegalHoldEntity, h);
      const others = await m.count(LegalHoldEntity, { where: { customerId: h.customerId, releasedAt: IsNull() } });
      if (others === 0) await m.update(ErasureJobEntity, { customerId: h.customerId, state: 'held' }, { state: 'running', updatedAt: now });
      return h;
    });
    for (const j of await this.ds.getRepository(ErasureJobEntity).find({ where: { customerId: hold.customerId, state: 'running' }, select: { id: true } })) {
      void this.advance(j.id);
    }
    return hold;
  }

  async holds(customerId?: string): Promise<LegalHoldEntity[]> {
    return this.ds.getRepository(LegalHoldEntity).find({ where: customerId ? { customerId } : {}, order: { placedAt: 'DESC' } });
  }

  // ------------------------------------------------------------------ scheduled work

  /** Customers whose service ended (plus the grace period) and that no purge has taken yet. */
  async dueCustomers(): Promise<string[]> {
    const cutoff = this.clock.nowMs() - this.config.PURGE_GRACE_DAYS * DAY_MS;
    const rows = await this.ds
      .getRepository(CustomerEntity)
      .createQueryBuilder('c')
      .select('c.id', 'id')
      .where('c.purgedAt IS NULL AND c.serviceEnd IS NOT NULL AND c.serviceEnd <= :cutoff', { cutoff })
      .andWhere('NOT EXISTS (SELECT 1 FROM erasure_job j WHERE j.customer_id = c.id AND j.kind = :kind)', { kind: 'customer' })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  async runScheduled(): Promise<{ started: string[]; historyExpired: number }> {
    const started: string[] = [];
    for (const id of await this.dueCustomers()) {
      try {
        started.push((await this.startCustomerPurge(id, 'schedule', null)).id);
      } catch (err) {
        this.logger.warn(`scheduled purge of customer ${id} not started: ${(err as Error).message}`);
      }
    }
    return { started, historyExpired: await this.expirePseudonymisedHistory() };
  }

  /** Pseudonymised history whose keeping period ended is deleted (the second half of that policy). */
  private async expirePseudonymisedHistory(): Promise<number> {
    const now = this.clock.nowMs();
    let expired = 0;
    for (const job of await this.ds.getRepository(ErasureJobEntity).find({ where: { kind: 'customer', state: 'done' } })) {
      const data = JSON.parse(job.data) as ErasureData;
      const h = data.history;
      if (!h || h.mode !== 'pseudonymise' || !h.keepUntil || h.expiredAt || now < h.keepUntil) continue;
      await this.deleteChain(job, job.customerId);
      h.expiredAt = now;
      await this.save(job.id, { data: JSON.stringify(data) });
      expired++;
    }
    return expired;
  }

  // ------------------------------------------------------------------ views

  async jobs(filter: { customerId?: string; personId?: string } = {}): Promise<ErasureJobView[]> {
    const rows = await this.ds.getRepository(ErasureJobEntity).find({ where: filter, order: { createdAt: 'DESC' }, take: 200 });
    return rows.map((r) => this.view(r));
  }

  async job(id: string): Promise<ErasureJobView> {
    return this.view(await this.mustJob(id));
  }

  async certificates(
    filter: { customerId?: string } = {},
  ): Promise<
    Array<{ id: string; jobId: string; kind: string; customerId: string; personId: string | null; complete: boolean; issuedAt: string; hash: string }>
  > {
    const rows = await this.ds.getRepository(ErasureCertificateEntity).find({
      where: filter,
      order: { issuedAt: 'DESC' },
      take: 500,
      select: { id: true, jobId: true, kind: true, customerId: true, personId: true, complete: true, issuedAt: true, hash: true },
    });
    return rows.map((r) => ({
      id: r.id,
      jobId: r.jobId,
      kind: r.kind,
      customerId: r.customerId,
      personId: r.personId,
      complete: r.complete,
      issuedAt: iso(r.issuedAt),
      hash: r.hash,
    }));
  }

  async certificate(id: string): Promise<{
    body: Record<string, unknown>;
    hash: string;
    valid: boolean;
    signature: 'valid' | 'invalid' | 'unsigned';
    jws: string | null;
    problems: string[];
  }> {
    const row = await this.ds.getRepository(ErasureCertificateEntity).findOne({ where: { id } });
    if (!row) throw new NotFoundError('ErasureCertificate', id);
    const body = JSON.parse(row.body) as Record<string, unknown>;
    const { hash, ...rest } = body;
    const hashOk = hash === row.hash && certificateHash(rest) === row.hash;
    const check = await this.certificateEvidence.checkRow(row);
    // An unsigned row is not valid: clearing the signature must not downgrade a check to the bare hash.
    const signature = !check.signed ? 'unsigned' : check.ok ? 'valid' : 'invalid';
    return {
      body,
      hash: row.hash,
      valid: hashOk && signature === 'valid',
      signature,
      jws: row.jws,
      problems: hashOk ? check.problems : ['hash does not match the body', ...check.problems],
    };
  }

  private view(j: ErasureJobEntity): ErasureJobView {
    const data = JSON.parse(j.data) as ErasureData;
    return {
      id: j.id,
      kind: j.kind,
      customerId: j.customerId,
      personId: j.personId,
      state: j.state,
      step: j.step,
      trigger: j.trigger,
      requestedBy: j.requestedBy,
      caseId: j.caseId,
      createdAt: iso(j.createdAt),
      updatedAt: iso(j.updatedAt),
      finishedAt: j.finishedAt === null ? null : iso(j.finishedAt),
      outstandingReaders: Object.values(data.readers?.confirmations ?? {}).filter((c) => c.confirmedAt === null),
      deferred: data.deferred?.parts ?? [],
      lastError: j.lastError,
      certificateIds: data.certificateIds,
    };
  }

  private async mustJob(id: string): Promise<ErasureJobEntity> {
    const j = await this.ds.getRepository(ErasureJobEntity).findOne({ where: { id } });
    if (!j) throw new NotFoundError('ErasureJob', id);
    return j;
  }

  private async mustCustomer(id: string, m: EntityManager = this.ds.manager): Promise<CustomerEntity> {
    const c = await m.findOne(CustomerEntity, { where: { id } });
    if (!c) throw new NotFoundError('Customer', id);
    return c;
  }
}
