import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Observable, ReplaySubject } from 'rxjs';
import { AuditService, type AuditActor } from '@acs/audit';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { AuraColour, AuraControl, ConfirmationCode, FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import { ConflictError, DomainError, NotFoundError } from '@acs/http';
import { CustomerService, DeviceService, PersonService } from '@acs/registry';
import { ReaderLibraryService, ReaderManager, TemplateStore, TemplateVault } from '@acs/reader-fleet';
import { setTimeout as sleep } from 'node:timers/promises';

export type EnrolmentStatus = 'running' | 'enrolled' | 'refused' | 'failed' | 'cancelled';
export type EnrolmentPrompt = 'place_finger' | 'lift_finger' | 'place_again' | 'try_again' | 'wait' | 'done' | null;

/** What staff and the desk screen see. Never the template: ids, steps and codes only. */
export interface EnrolmentView {
  id: string;
  personId: string;
  finger: number;
  readerId: string;
  status: EnrolmentStatus;
  step: string;
  prompt: EnrolmentPrompt;
  /** 0..1 */
  progress: number;
  /** Captures taken so far and needed. */
  captures: { taken: number; needed: number };
  /** Why it ended other than enrolled: timeout, cancelled, duplicate_finger, poor_quality, fingers_differ, reader_error. */
  reason: string | null;
  /** Id of the stored template record (not the template). */
  templateId: string | null;
  quality: number | null;
  startedAt: number;
  finishedAt: number | null;
}

interface Session {
  view: EnrolmentView;
  actor: AuditActor;
  customerId: string;
  cancelled: boolean;
  events: ReplaySubject<EnrolmentView>;
  done: Promise<void>;
}

class Stop extends Error {
  constructor(
    readonly status: EnrolmentStatus,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Image-quality codes: ask for another try, never fail the enrolment on them (docs/r503-protocol.md §Confirmation codes). */
const QUALITY_CODES = new Set<number>([
  ConfirmationCode.ImageTooMessy,
  ConfirmationCode.TooFewFeatures,
  ConfirmationCode.NoValidImage,
  ConfirmationCode.ImagingFailed,
]);
const MAX_QUALITY_RETRIES = 5;
const MAX_MERGE_RETRIES = 2;
const POLL_MS = 40;
/** Finished sessions stay pollable this long. */
const KEEP_FINISHED_MS = 10 * 60_000;

function isQuality(err: unknown): boolean {
  return err instanceof FingerprintError && err.code === FingerprintErrorCode.Confirmation && QUALITY_CODES.has(err.details.confirmation ?? -1);
}

/**
 * Guided enrolment at a desk reader (docs/r503-protocol.md §Flows): the server drives the module
 * step by step (capture, lift, capture again; four captures on the R503 family, whose manual
 * recommends at least four feature files, two elsewhere), gates on image quality, merges
 * (RegModel), reads the template (UpChar), checks it against every enrolled template before
 * anything is stored, stores it encrypted and leaves the desk reader's library empty (verified with
 * ReadIndexTable).
 *
 * Duplicate check (documented choice), before anything is stored: every enrolled template must be
 * compared. With few templates each is loaded into character buffer 2 of the desk reader (DownChar)
 * and matched 1:1 against the new one in buffer 1 (Match): one template transfer per enrolled
 * finger, about 0.3 s for a 1,536-byte R503 template at 57,600 baud (docs/r503-protocol.md §Data
 * packets and template size). With more, the new template is first sent once to the fewest ready
 * door readers that hold the most of them and their libraries are searched (Search is done on the
 * module, one transfer per reader); only templates on no ready reader (people without door access,
 * offline readers) are then matched 1:1 at the desk. A template the bookkeeping lists as stored but
 * that drifted off its reader is missed until reconciliation puts it back.
 */
@Injectable()
export class EnrolmentService implements OnApplicationShutdown {
  private readonly logger = new Logger('Enrolment');
  private readonly sessions = new Map<string, Session>();
  private readonly busyReaders = new Map<string, string>();
  private readonly viewListeners = new Set<(view: EnrolmentView) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly manager: ReaderManager,
    private readonly library: ReaderLibraryService,
    private readonly vault: TemplateVault,
    private readonly templates: TemplateStore,
    private readonly audit: AuditService,
    private readonly persons: PersonService,
    private readonly customers: CustomerService,
    private readonly devices: DeviceService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const s of this.sessions.values()) s.cancelled = true;
    await Promise.allSettled([...this.sessions.values()].map((s) => s.done));
  }

  async start(input: { personId: string; finger: number; readerId: string }, actor: AuditActor): Promise<EnrolmentView> {
    const customerId = await this.persons.customerOf(input.personId);
    if (customerId === null) throw new NotFoundError('Person', input.personId);
    const person = { id: input.personId, customerId };
    if ((await this.customers.isPurged(customerId)) !== false)
      throw new ConflictError('enrollment.customer_purged', 'the customer of this person has been purged');
    const placement = await this.devices.readerPlacement(input.readerId);
    if (!placement) throw new NotFoundError('Reader', input.readerId);
    const reader = { id: input.readerId, role: placement.role };
    if (reader.role !== 'enrolment') throw new ConflictError('enrollment.not_an_enrolment_reader', 'enrolment runs on a reader with the enrolment role');
    if (!this.manager.isReady(reader.id)) {
      throw new ConflictError('enrollment.reader_unavailable', `the desk reader is ${this.manager.stateOf(reader.id).state}`, { readerId: reader.id });
    }
    if (this.busyReaders.has(reader.id))
      throw new ConflictError('enrollment.reader_busy', 'another enrolment is running on this desk reader', { readerId: reader.id });
    await this.assertFits(person.id, input.finger);

    const id = randomUUID();
    const needed = this.capturesFor(reader.id);
    const view: EnrolmentView = {
      id,
      personId: person.id,
      finger: input.finger,
      readerId: reader.id,
      status: 'running',
      step: 'starting',
      prompt: 'wait',
      progress: 0,
      captures: { taken: 0, needed },
      reason: null,
      templateId: null,
      quality: null,
      startedAt: this.clock.nowMs(),
      finishedAt: null,
    };
    const session: Session = {
      view,
      actor,
      customerId: person.customerId,
      cancelled: false,
      events: new ReplaySubject<EnrolmentView>(1),
      done: Promise.resolve(),
    };
    this.sessions.set(id, session);
    this.busyReaders.set(reader.id, id);
    this.publish(session);
    session.done = this.run(session);
    return { ...view };
  }

  get(id: string): EnrolmentView {
    return { ...this.mustGet(id).view };
  }

  /** Live progress: the current state first, then every change; completes when the enrolment ends. */
  events(id: string): Observable<EnrolmentView> {
    return this.mustGet(id).events.asObservable();
  }

  cancel(id: string): EnrolmentView {
    const s = this.mustGet(id);
    if (s.view.status === 'running') s.cancelled = true;
    return { ...s.view };
  }

  /** Resolves when the enrolment has finished (tests, tools). */
  async finished(id: string): Promise<EnrolmentView> {
    const s = this.mustGet(id);
    await s.done;
    return { ...s.view };
  }

  private mustGet(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new NotFoundError('Enrolment', id);
    return s;
  }

  private capturesFor(readerId: string): number {
    return (this.manager.profileOf(readerId)?.charBuffers ?? 2) >= 4 ? 4 : 2;
  }

  /** Enrolling a new finger raises every covering reader's load by one: refuse what cannot fit. */
  private async assertFits(personId: string, finger: number): Promise<void> {
    if ((await this.templates.idOf(personId, finger)) !== null) return;
    const counts = await this.library.fingerCounts();
    const loads = await this.library.capacityLoadsWith((p) => (counts.get(p) ?? 0) + (p === personId ? 1 : 0));
    const over = loads.find((l) => l.required > l.capacity);
    if (over) {
      throw new ConflictError(
        'reader.capacity_exceeded',
        `reader "${over.readerName}" holds ${over.capacity} templates; this finger would need ${over.required}`,
        {
          readerId: over.readerId,
          capacity: over.capacity,
          required: over.required,
        },
      );
    }
  }

  private update(s: Session, patch: Partial<EnrolmentView>): void {
    Object.assign(s.view, patch);
    const { taken, needed } = s.view.captures;
    if (s.view.status === 'running') {
      // Captures are most of the work; merge, duplicate check and storing share the last fifth.
      const tail = ['merging', 'duplicate_check', 'storing', 'clearing_desk'].indexOf(s.view.step) + 1;
      s.view.progress = Math.min(0.99, (taken / needed) * 0.8 + tail * 0.05);
    }
    this.publish(s);
  }

  private publish(s: Session): void {
    const view = { ...s.view };
    s.events.next(view);
    for (const l of this.viewListeners) l(view);
  }

  /** Every view change of the enrolments running here (the cluster relays them to other instances). */
  onView(listener: (view: EnrolmentView) => void): () => void {
    this.viewListeners.add(listener);
    return () => this.viewListeners.delete(listener);
  }

  /** Whether the enrolment runs in this process. */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  private async run(s: Session): Promise<void> {
    const readerId = s.view.readerId;
    let final: Partial<EnrolmentView>;
    try {
      await this.manager.withReader(readerId, (reader) => this.drive(s, reader));
      final = { status: 'enrolled', step: 'done', prompt: 'done', progress: 1 };
      // The new template flows to the door readers its person's grants cover.
      this.library.requestPlan();
    } catch (err) {
      const stop =
        err instanceof Stop
          ? err
          : new Stop('failed', err instanceof FingerprintError && err.code === FingerprintErrorCode.Timeout ? 'timeout' : 'reader_error');
      if (!(err instanceof Stop)) this.logger.warn(`enrolment ${s.view.id} on reader ${readerId} failed: ${(err as Error).message}`);
      final = { status: stop.status, reason: stop.reason, prompt: null };
      await this.manager
        .withReader(readerId, async (r) => {
          await this.led(r, AuraControl.Flashing, AuraColour.Red, 3);
          await this.clearDesk(r).catch(() => undefined);
        })
        .catch(() => undefined);
      if (stop.status !== 'refused') {
        await this.audit
          .record({
            actor: s.actor,
            action: 'enrollment.finish',
            targetType: 'person',
            targetId: s.view.personId,
            outcome: 'failure',
            details: { sessionId: s.view.id, readerId, finger: s.view.finger, code: stop.reason },
          })
          .catch(() => undefined);
      }
    }
    // The desk is free before anyone is told the enrolment ended, so the next one can start at once.
    this.busyReaders.delete(readerId);
    this.update(s, { ...final, finishedAt: this.clock.nowMs() });
    s.events.complete();
    const t = setTimeout(() => this.sessions.delete(s.view.id), KEEP_FINISHED_MS);
    t.unref?.();
  }

  private async drive(s: Session, r: FingerprintReader): Promise<void> {
    const needed = s.view.captures.needed;
    let quality: number;
    for (let round = 0; ; round++) {
      for (let i = 1; i <= needed; i++) {
        await this.capture(s, r, i);
        this.update(s, { captures: { taken: i, needed } });
        await this.led(r, AuraControl.On, AuraColour.Yellow);
        if (i < needed) {
          this.update(s, { step: `lift_${i}`, prompt: 'lift_finger' });
          await this.led(r, AuraControl.On, AuraColour.White);
          await this.waitLift(s, r);
        }
      }
      this.update(s, { step: 'merging', prompt: 'wait' });
      // Captures 1 and 2 against each other: the quality figure kept with the template, and an
      // early "not the same finger" before RegModel refuses with 0x0A (docs/r503-protocol.md §Confirmation codes).
      const m = await r.match();
      if (m.matched) {
        quality = m.score;
        try {
          await r.createModel();
          break;
        } catch (err) {
          if (!(err instanceof FingerprintError && err.details.confirmation === ConfirmationCode.MergeFailed)) throw err;
        }
      }
      if (round >= MAX_MERGE_RETRIES) throw new Stop('failed', 'fingers_differ');
      this.update(s, { step: 'restart', prompt: 'try_again', captures: { taken: 0, needed } });
      await this.led(r, AuraControl.Flashing, AuraColour.Red, 2);
      await this.waitLift(s, r);
    }
    this.checkCancelled(s);

    const template = await r.uploadTemplate(1);
    try {
      this.update(s, { step: 'duplicate_check', prompt: 'wait' });
      const replacedId = await this.templates.idOf(s.view.personId, s.view.finger);
      const duplicate = await this.findDuplicate(s, r, template, replacedId ?? undefined);
      if (duplicate) {
        await this.audit.record({
          actor: s.actor,
          action: 'enrollment.duplicate_refused',
          targetType: 'person',
          targetId: s.view.personId,
          outcome: 'failure',
          details: { sessionId: s.view.id, readerId: s.view.readerId, finger: s.view.finger, matchedRecord: duplicate },
        });
        throw new Stop('refused', 'duplicate_finger');
      }
      this.checkCancelled(s);

      this.update(s, { step: 'storing', prompt: 'wait' });
      const templateId = randomUUID();
      const ct = await this.vault.seal(s.customerId, templateId, template);
      if (replacedId !== null) await this.library.eraseTemplatesOf({ templateId: replacedId });
      await this.templates.add({
        id: templateId,
        personId: s.view.personId,
        customerId: s.customerId,
        finger: s.view.finger,
        templateCt: ct,
        model: r.profile.name,
        format: `${r.profile.name}-native`,
        size: template.length,
        quality,
        enrolledBy: s.actor.actorId,
        enrolledAt: this.clock.nowMs(),
      });
      this.update(s, { templateId, quality });
      await this.audit.record({
        actor: s.actor,
        action: 'enrollment.complete',
        targetType: 'person',
        targetId: s.view.personId,
        outcome: 'success',
        details: { sessionId: s.view.id, readerId: s.view.readerId, finger: s.view.finger, record: templateId, quality, replaced: replacedId },
      });
    } finally {
      template.fill(0);
    }

    this.update(s, { step: 'clearing_desk', prompt: 'wait' });
    await this.clearDesk(r);
    await this.led(r, AuraControl.On, AuraColour.Green);
  }

  /** One capture into `bufferId`, repeating on quality codes (docs/r503-protocol.md §Confirmation codes, §Flows). */
  private async capture(s: Session, r: FingerprintReader, bufferId: number): Promise<void> {
    const useEx = r.profile.opcodes.GetImageEx !== undefined;
    for (let attempt = 0; ; attempt++) {
      this.update(s, { step: `capture_${bufferId}`, prompt: bufferId === 1 && attempt === 0 ? 'place_finger' : attempt > 0 ? 'try_again' : 'place_again' });
      await this.led(r, AuraControl.Breathing, AuraColour.Blue);
      try {
        await this.until(s, async () => (useEx ? r.captureImageEx() : r.captureImage()));
        await r.imageToTemplate(bufferId);
        return;
      } catch (err) {
        if (!isQuality(err)) throw err;
        if (attempt + 1 >= MAX_QUALITY_RETRIES) throw new Stop('failed', 'poor_quality');
        this.update(s, { prompt: 'try_again' });
        await this.led(r, AuraControl.Flashing, AuraColour.Red, 1);
        await this.waitLift(s, r);
      }
    }
  }

  private async waitLift(s: Session, r: FingerprintReader): Promise<void> {
    await this.until(s, async () => !(await r.captureImage()));
  }

  /** Poll `probe` until true, honouring cancel and the per-step timeout. */
  private async until(s: Session, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.config.ENROLMENT_TIMEOUT_S * 1000;
    for (;;) {
      this.checkCancelled(s);
      if (await probe()) return;
      if (Date.now() >= deadline) throw new Stop('failed', 'timeout');
      await sleep(POLL_MS);
    }
  }

  private checkCancelled(s: Session): void {
    if (s.cancelled) throw new Stop('cancelled', 'cancelled');
  }

  /**
   * Up to this many candidates are matched 1:1 on the desk reader only; beyond it the door
   * libraries are searched first (see the class comment). Tests lower it to reach both paths.
   */
  directMatchLimit = 20;

  /** Is the template in buffer 1 of the desk reader already enrolled (same format), other than `replacedId`? */
  private async findDuplicate(s: Session, r: FingerprintReader, template: Buffer, replacedId: string | undefined): Promise<string | null> {
    const candidates = await this.templates.idsOfSize(template.length, replacedId);
    let remaining = candidates;
    if (candidates.length > this.directMatchLimit) {
      const { match, covered } = await this.library.searchLibraries(template, new Set(candidates));
      if (match) return match;
      remaining = candidates.filter((id) => !covered.has(id));
    }
    for (const id of remaining) {
      this.checkCancelled(s);
      const other = await this.templates.open(id);
      if (!other) continue;
      try {
        await r.downloadTemplate(2, other);
      } finally {
        other.fill(0);
      }
      if ((await r.match()).matched) return id;
    }
    return null;
  }

  /** The desk reader keeps nothing: delete whatever its library holds and verify (docs/privacy-and-regulation.md §What erasure must cover). */
  private async clearDesk(r: FingerprintReader): Promise<void> {
    for (const slot of await r.listTemplateIds()) await r.deleteTemplates(slot, 1);
    const left = await r.listTemplateIds();
    if (left.length > 0) throw new DomainError('enrollment.desk_not_clear', 'the desk reader library could not be emptied', 500);
  }

  private async led(r: FingerprintReader, control: AuraControl, colour: AuraColour, count = 0): Promise<void> {
    if (r.profile.opcodes.AuraLedConfig === undefined) return;
    // The ring is a courtesy to the person at the desk; a module without one must not fail enrolment.
    await r.auraLed(control, colour, 0x40, count).catch(() => undefined);
  }
}
