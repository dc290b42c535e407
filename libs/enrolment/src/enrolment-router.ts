import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Observable, ReplaySubject } from 'rxjs';
import type { AuditActor } from '@acs/audit';
import { ClusterBus } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { DomainError, NotFoundError } from '@acs/http';
import { DeviceService } from '@acs/registry';
import { EnrolmentService, type EnrolmentView } from './enrolment.service.js';

/** How long a request to the instance wired to the desk reader may take before the desk is told. */
const REMOTE_TIMEOUT_MS = 5000;
/** Finished enrolments of other instances stay readable this long (as local ones do). */
const KEEP_REMOTE_MS = 10 * 60_000;

type Request =
  | { requestId: string; to: string; op: 'start'; input: { personId: string; finger: number; readerId: string }; actor: AuditActor }
  | { requestId: string; to: string; op: 'cancel'; id: string };
type Reply = {
  requestId: string;
  to: string;
  view?: EnrolmentView;
  error?: { code: string; message: string; status: number; extra?: Record<string, unknown> };
};

interface RemoteEnrolment {
  view: EnrolmentView;
  host: string;
  subject: ReplaySubject<EnrolmentView>;
  timer?: NodeJS.Timeout;
}

/**
 * Enrolment behind a load balancer: a desk reader is wired to one instance, and only that
 * instance can run an enrolment on it. A request that lands elsewhere is passed to the reader's
 * host over the cluster notices (start, cancel) and answered with that host's reply; the host
 * relays every view change, so GET and the event stream work on any instance. Views carry ids
 * and progress only, never template bytes.
 */
@Injectable()
export class EnrolmentRouter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EnrolmentRouter');
  private readonly remote = new Map<string, RemoteEnrolment>();
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private offViews?: () => void;

  constructor(
    private readonly local: EnrolmentService,
    private readonly devices: DeviceService,
    private readonly config: AppConfig,
    @Optional() private readonly cluster?: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.cluster) return;
    const cluster = this.cluster;
    await cluster.subscribe('enrolment-request', (body, from) => void this.serve(body as Request, from));
    await cluster.subscribe('enrolment-reply', (body) => {
      const r = body as Reply;
      if (r?.to !== this.config.INSTANCE_ID) return;
      const p = this.pending.get(r.requestId);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(r.requestId);
      p.resolve(r);
    });
    await cluster.subscribe('enrolment-view', (body, from) => this.remoteView(body as EnrolmentView, from));
    this.offViews = this.local.onView((view) => cluster.publish('enrolment-view', view));
  }

  onModuleDestroy(): void {
    this.offViews?.();
    for (const r of this.remote.values()) {
      clearTimeout(r.timer);
      r.subject.complete();
    }
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  async start(input: { personId: string; finger: number; readerId: string }, actor: AuditActor): Promise<EnrolmentView> {
    const host = await this.hostOf(input.readerId);
    if (!this.cluster || host === null || host === this.config.INSTANCE_ID) return this.local.start(input, actor);
    const view = await this.ask({ requestId: randomUUID(), to: host, op: 'start', input, actor });
    // The host's later view notices may have been handled before this reply's continuation: keep the newer one.
    if (!this.remote.has(view.id)) this.remoteView(view, host);
    return view;
  }

  get(id: string): EnrolmentView {
    if (this.local.has(id)) return this.local.get(id);
    const r = this.remote.get(id);
    if (!r) throw new NotFoundError('Enrolment', id);
    return { ...r.view };
  }

  events(id: string): Observable<EnrolmentView> {
    if (this.local.has(id)) return this.local.events(id);
    const r = this.remote.get(id);
    if (!r) throw new NotFoundError('Enrolment', id);
    return r.subject.asObservable();
  }

  async cancel(id: string): Promise<EnrolmentView> {
    if (this.local.has(id)) return this.local.cancel(id);
    const r = this.remote.get(id);
    if (!r) throw new NotFoundError('Enrolment', id);
    return this.ask({ requestId: randomUUID(), to: r.host, op: 'cancel', id });
  }

  private async hostOf(readerId: string): Promise<string | null> {
    return (await this.devices.readerPlacement(readerId))?.host ?? null;
  }

  private ask(req: Request): Promise<EnrolmentView> {
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(req.requestId);
        resolve({
          requestId: req.requestId,
          to: this.config.INSTANCE_ID,
          error: { code: 'enrollment.host_unreachable', message: 'the server instance wired to the desk reader did not answer', status: 503 },
        });
      }, REMOTE_TIMEOUT_MS);
      this.pending.set(req.requestId, { resolve, timer });
      this.cluster!.publish('enrolment-request', req);
    }).then((reply) => {
      if (reply.error) throw new DomainError(reply.error.code, reply.error.message, reply.error.status, reply.error.extra ?? {});
      return reply.view!;
    });
  }

  /** Runs a request addressed to us and answers the asking instance. */
  private async serve(req: Request, from: string): Promise<void> {
    if (req?.to !== this.config.INSTANCE_ID) return;
    let reply: Reply;
    try {
      const view = req.op === 'start' ? await this.local.start(req.input, req.actor) : this.local.cancel(req.id);
      reply = { requestId: req.requestId, to: from, view };
    } catch (err) {
      const e = err instanceof DomainError ? err : new DomainError('enrollment.failed', 'the enrolment could not be started', 500);
      if (!(err instanceof DomainError)) this.logger.warn(`enrolment request ${req.op} failed: ${(err as Error).message}`);
      reply = { requestId: req.requestId, to: from, error: { code: e.code, message: e.message, status: e.status, extra: e.extra } };
    }
    this.cluster!.publish('enrolment-reply', reply);
  }

  private remoteView(view: EnrolmentView, host: string): void {
    if (typeof view?.id !== 'string' || this.local.has(view.id)) return;
    let r = this.remote.get(view.id);
    if (!r) {
      r = { view, host, subject: new ReplaySubject<EnrolmentView>(1) };
      this.remote.set(view.id, r);
    }
    // Notices can overtake each other; a finished view is never replaced by a running one.
    if (r.view.status !== 'running' && view.status === 'running') return;
    r.view = view;
    r.subject.next({ ...view });
    if (view.status !== 'running') {
      r.subject.complete();
      const id = view.id;
      r.timer ??= setTimeout(() => this.remote.delete(id), KEEP_REMOTE_MS);
      r.timer.unref?.();
    }
  }
}
