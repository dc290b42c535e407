import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { AccessHistoryErasure } from '@acs/access-log';
import { AuditService, type AuditActor } from '@acs/audit';
import { Clock } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { dataKeyIdOf, KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { ReaderLibraryService, ReaderManager, readersHolding, TemplateVault } from '@acs/reader-fleet';
import { ConflictError } from '@acs/http';
import { customerScope, customerStatus, PersonDataErasure, type ErasableCustomer } from '@acs/registry';
import { ErasureJobEntity, type ErasureKind, type ErasureStep, type LegalHoldEntity } from './entities.js';
import { ErasureCertificates, type CertificateReading, type CertificateSummary } from './erasure/erasure-certificates.js';
import { DAY_MS, iso, recordHolders, type ErasureData, type ErasureJobView, type PurgePreview } from './erasure/erasure-data.js';
import { ErasureJobs } from './erasure/erasure-jobs.js';
import { ErasureParticipants, type ErasureParticipant } from './erasure/erasure-participants.js';
import { ErasureProbe } from './erasure/erasure-probe.js';
import { ErasureSteps } from './erasure/erasure-steps.js';
import { LegalHolds } from './erasure/legal-holds.js';
import { ErasureNeedles } from './erasure/needles.js';
import { PhysicalErasure } from './erasure/physical-step.js';
import { DurableStepRunner } from './erasure/step-runner.js';

export { certificateHash } from './certificates/certificate-hash.js';
export { keyPrefix } from './erasure/needles.js';
export type { ErasureData, ErasureJobView, PurgePreview, ReaderConfirmation } from './erasure/erasure-data.js';

/**
 * Erasure as a persisted state machine (issue 9): customer purge at end of service, erasure of
 * one person, withdrawal of consent to biometrics. Steps, in order, each idempotent:
 * readers (DeletChar everywhere, verified with ReadIndexTable; waits for offline readers) →
 * server_data (template rows, people, contact) → history (retention policy) → key
 * (crypto-shredding) → physical (WAL checkpoint TRUNCATE + byte scan) → certificate.
 *
 * This class starts jobs and answers about them; the durable runner (erasure/step-runner.ts)
 * runs the steps (erasure/erasure-steps.ts, physical-step.ts, erasure-certificates.ts) under the
 * policy of erasure/erasure-policy.ts.
 */
@Injectable()
export class ErasureService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Erasure');
  private readonly runner: DurableStepRunner<ErasureStep, ErasureJobEntity, ErasureData>;
  private timer?: NodeJS.Timeout;
  /** Period of the runner that advances waiting jobs (tests shorten it). */
  pollMs = 2000;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly keys: KeyService,
    private readonly library: ReaderLibraryService,
    private readonly manager: ReaderManager,
    private readonly vault: TemplateVault,
    private readonly people: PersonDataErasure,
    private readonly history: AccessHistoryErasure,
    private readonly audit: AuditService,
    private readonly jobRows: ErasureJobs,
    private readonly steps: ErasureSteps,
    private readonly physical: PhysicalErasure,
    private readonly certs: ErasureCertificates,
    private readonly legalHolds: LegalHolds,
    private readonly needles: ErasureNeedles,
    private readonly participants: ErasureParticipants,
    probe: ErasureProbe,
    @Optional() leases?: LeaseService,
  ) {
    this.runner = new DurableStepRunner<ErasureStep, ErasureJobEntity, ErasureData>({
      name: 'Erasure',
      load: (id) => this.jobRows.load(id),
      save: (id, patch) => this.jobRows.save(id, patch),
      restingStates: ['done', 'held'],
      runningState: 'running',
      waitingState: 'waiting_for_devices',
      now: () => this.clock.nowMs(),
      beforeStep: (job) => this.needles.ensure(job),
      // Fault testing (ERASURE_PAUSE_BEFORE_STEP): leave the job at this step; the runner looks again on its next tick.
      pauseBefore: () => this.config.ERASURE_PAUSE_BEFORE_STEP,
      leases,
      probe: (point, job) => probe.at(point, job.id),
      steps: {
        readers: async (job, data) => ((await this.steps.readers(job, data)) ? { next: 'server_data' } : 'wait'),
        server_data: async (job, data) => (await this.steps.serverData(job, data), { next: 'history' }),
        history: async (job, data) => (await this.steps.historyStep(job, data), { next: 'key' }),
        key: async (job, data) => (await this.steps.key(job, data), { next: 'physical' }),
        physical: async (job, data) => (await this.physical.run(job, data), { next: 'certificate' }),
        certificate: async (job, data) => {
          if ((await this.certs.issue(job, data)) === 'done') this.needles.forget(job.id);
          return 'settled';
        },
      },
    });
  }

  onApplicationBootstrap(): void {
    this.manager.on('ready', this.onReaderReady);
    this.schedule();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.manager.off('ready', this.onReaderReady);
    await this.runner.stop();
  }

  private readonly onReaderReady = (): void => {
    // A returning reader may be what a waiting job needs: look again soon (its deletes run first).
    setTimeout(() => void this.tick(), 200).unref?.();
  };

  private schedule(): void {
    if (this.runner.isStopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref?.();
  }

  /**
   * Advance every unfinished job once (resumes after a restart). Never rejects: it runs from
   * timers, and a database that cannot be reached (degraded mode) only means "look again later".
   */
  async tick(): Promise<void> {
    if (this.runner.isStopped) return;
    let jobs: Array<{ id: string }>;
    try {
      jobs = await this.ds.getRepository(ErasureJobEntity).find({ where: { state: In(['running', 'waiting_for_devices']) }, select: { id: true } });
    } catch (err) {
      this.logger.warn(`erasure jobs not looked at: ${(err as Error).message}`);
      return;
    }
    await Promise.allSettled(jobs.map((j) => this.advance(j.id)));
  }

  /** Run the job's steps until it finishes, waits for readers or is held. One runner per job. */
  advance(jobId: string): Promise<void> {
    return this.runner.advance(jobId);
  }

  // ------------------------------------------------------------------ starting jobs

  async preview(customerId: string): Promise<PurgePreview> {
    const c = await this.people.customer(customerId);
    const [people, templates, slots, historyEvents, holds, key] = await Promise.all([
      this.people.countPeople(customerId),
      this.vault.countStoredTemplates({ customerId }),
      this.library.erasureStatus({ customerId }),
      this.history.count({ customerId }),
      this.legalHolds.active(customerId),
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
      legalHolds: holds.length,
      dataKeyPresent: key,
    };
  }

  /** Start (or return the running) purge of a customer whose service has ended. */
  async startCustomerPurge(customerId: string, trigger: 'schedule' | 'manual', actor: AuditActor | null): Promise<ErasureJobView> {
    const c = await this.people.customer(customerId);
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
    const customerId = await this.people.customerOf(personId);
    const running = await this.ds.getRepository(ErasureJobEntity).findOne({ where: { personId, kind, state: In(['running', 'waiting_for_devices', 'held']) } });
    if (running) return this.view(running);
    const c = await this.people.customer(customerId);
    return this.create(kind, c, personId, caseId ? 'request' : 'manual', actor, caseId);
  }

  /**
   * Erasure of a visit's data after its retention period (@acs/visitors): the visit's own record
   * (through its ErasureParticipant), the visitor's person row, grants and cards; the history
   * keeps its ids (policy `visitor`). `visitId` is also the visitor's person id, which may never
   * have existed (a visitor who did not come). Idempotent like the others.
   */
  async startVisitorErasure(customerId: string, visitId: string, actor: AuditActor | null): Promise<ErasureJobView> {
    const running = await this.ds
      .getRepository(ErasureJobEntity)
      .findOne({ where: { personId: visitId, kind: 'visitor', state: In(['running', 'waiting_for_devices', 'held']) } });
    if (running) return this.view(running);
    return this.create('visitor', await this.people.customer(customerId), visitId, 'retention', actor, null);
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
    return this.create(u.kind, await this.people.customer(u.customerId), u.personId, 'reapply', actor, null, u.certificates);
  }

  private async create(
    kind: ErasureKind,
    c: ErasableCustomer,
    personId: string | null,
    trigger: string,
    actor: AuditActor | null,
    caseId: string | null,
    reapplies?: string[],
  ): Promise<ErasureJobView> {
    const now = this.clock.nowMs();
    const keyId = await dataKeyIdOf(this.ds.manager, customerScope(c.id));
    const templateRows = await this.vault.countStoredTemplates(kind === 'customer' ? { customerId: c.id } : { personId: personId! });
    // Counted before anything is erased: a resumed step cannot count what an earlier attempt removed.
    const data: ErasureData = {
      keyId,
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
    await this.needles.collect(job);
    await this.writes.transaction(async (m) => {
      // Read in the job's own write transaction: no verified delete can slip in between.
      recordHolders(data, await readersHolding(m, kind === 'customer' ? { customerId: c.id } : { personId: personId! }));
      job.data = JSON.stringify(data);
      return m.insert(ErasureJobEntity, job);
    });
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

  /** A lib above compliance joins every erasure (see ErasureParticipant). */
  registerParticipant(p: ErasureParticipant): void {
    this.participants.register(p);
  }

  // ------------------------------------------------------------------ legal holds

  placeHold(customerId: string, personId: string | null, reason: string, reference: string, actor: AuditActor): Promise<LegalHoldEntity> {
    return this.legalHolds.place(customerId, personId, reason, reference, actor);
  }

  async releaseHold(holdId: string, reason: string, actor: AuditActor): Promise<LegalHoldEntity> {
    const { hold, resumed } = await this.legalHolds.release(holdId, reason, actor);
    for (const id of resumed) void this.advance(id);
    return hold;
  }

  holds(customerId?: string): Promise<LegalHoldEntity[]> {
    return this.legalHolds.list(customerId);
  }

  // ------------------------------------------------------------------ scheduled work

  /** Customers whose service ended (plus the grace period) and that no purge has taken yet. */
  async dueCustomers(): Promise<string[]> {
    const ended = await this.people.endedBefore(this.clock.nowMs() - this.config.PURGE_GRACE_DAYS * DAY_MS);
    if (ended.length === 0) return [];
    const taken = await this.ds.getRepository(ErasureJobEntity).find({ where: { kind: 'customer', customerId: In(ended) }, select: { customerId: true } });
    const skip = new Set(taken.map((j) => j.customerId));
    return ended.filter((id) => !skip.has(id));
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
      await this.steps.expireHistory(job.customerId);
      h.expiredAt = now;
      await this.jobRows.save(job.id, { data: JSON.stringify(data) });
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
    return this.view(await this.jobRows.load(id));
  }

  certificates(filter: { customerId?: string } = {}): Promise<CertificateSummary[]> {
    return this.certs.list(filter);
  }

  certificate(id: string): Promise<CertificateReading> {
    return this.certs.read(id);
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
}
