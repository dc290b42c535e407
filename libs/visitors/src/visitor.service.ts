import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Notifications } from '@acs/notifications';
import { DataSource, In, LessThanOrEqual, Not } from 'typeorm';
import { timeOrderedId } from '@acs/crypto';
import { AuditService } from '@acs/audit';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { ErasureService } from '@acs/compliance';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, iso, isoOrNull, NotFoundError } from '@acs/http';
import { AccessService, customerScope, CustomerService, PersonalData, PersonService, SiteService } from '@acs/registry';
import type { RegisterVisitorDto, VisitorPolicyView, VisitorQueryDto, VisitorsTodayCountView, VisitorView } from './visitor.dto.js';
import { VisitorEntity, VisitorPolicyEntity, type VisitorStatus } from './visitor.entity.js';
import { cancelProblem, checkInProblem, DAY_MS, erasureDue, localDate, statusAtWindowEnd, windowProblem } from './rules.js';

export const visitorRow = (id: string) => `visitor:${id}`;
const SYSTEM = { actorType: 'system', actorId: null, role: null } as const;

/**
 * Visitors (issue 20): a customer registers a visit, the security desk checks the visitor's ID
 * document and checks them in, which gives them a person and a grant in the registry bounded by
 * the window's end (so access ends then, checked out or not), escorted by their host unless the
 * customer's policy says otherwise. A sweep on the injected clock closes visits whose window ended
 * and erases a visit's data VISITOR_RETENTION_DAYS later through compliance, with a certificate.
 */
@Injectable()
export class VisitorService {
  private readonly log = new Logger('Visitors');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly pd: PersonalData,
    private readonly customers: CustomerService,
    private readonly people: PersonService,
    private readonly access: AccessService,
    private readonly sites: SiteService,
    private readonly erasure: ErasureService,
    private readonly audit: AuditService,
    @Optional() private readonly notifications?: Notifications,
  ) {}

  async register(customerId: string, dto: RegisterVisitorDto, registeredBy: string | null): Promise<VisitorView> {
    const now = this.clock.nowMs();
    const start = Date.parse(dto.windowStart);
    const end = Date.parse(dto.windowEnd);
    const problem = windowProblem(start, end, now);
    if (problem === 'visitor.bad_window') throw new DomainError(problem, 'the window must end after it starts, at most 24 hours later');
    if (problem) throw new ConflictError(problem, 'the window is already over');
    const purged = await this.customers.isPurged(customerId);
    if (purged === null) throw new NotFoundError('Customer', customerId);
    if (purged) throw new ConflictError('customer.purged', 'a purged customer cannot register visitors');
    // Scoped like every customer route: another customer's person or level is "not found".
    const host = await this.people.get(customerId, dto.hostPersonId);
    if (host.kind !== 'employee') throw new ConflictError('visitor.host_not_employee', 'a visitor cannot host another visitor');
    const levels = await this.access.accessLevelsOfCustomer(customerId);
    const level = levels.find((l) => l.id === dto.accessLevelId);
    if (!level) throw new NotFoundError('Access level', dto.accessLevelId);
    const site = await this.sites.getSite(level.siteId);
    const id = timeOrderedId();
    const scope = customerScope(customerId);
    const e: VisitorEntity = {
      id,
      customerId,
      hostPersonId: host.id,
      accessLevelId: level.id,
      siteId: site.id,
      visitDate: localDate(start, site.timeZone),
      windowStart: start,
      windowEnd: end,
      status: 'expected',
      nameCt: await this.pd.seal(scope, visitorRow(id), 'name', dto.fullName),
      companyCt: await this.pd.seal(scope, visitorRow(id), 'company', dto.company),
      emailCt: await this.pd.seal(scope, visitorRow(id), 'email', dto.email),
      escortRequired: null,
      idCheckedAt: null,
      idCheckedBy: null,
      checkedInAt: null,
      checkedInBy: null,
      checkedOutAt: null,
      checkedOutBy: null,
      grantId: null,
      registeredBy,
      registeredAt: now,
      erasedAt: null,
      erasureJobId: null,
    };
    await this.writes.transaction((m) => m.insert(VisitorEntity, e));
    return this.view(e);
  }

  async list(customerId: string, q: VisitorQueryDto): Promise<VisitorView[]> {
    const rows = await this.ds.getRepository(VisitorEntity).find({
      where: { customerId, ...(q.date ? { visitDate: q.date } : {}), ...(q.status ? { status: q.status } : {}) },
      order: { windowStart: 'DESC', id: 'DESC' },
      take: 200,
    });
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(customerId: string | undefined, id: string): Promise<VisitorView> {
    return this.view(await this.mustGet(customerId, id));
  }

  /**
   * Every customer's visits on today's local date at their site (each site's own time zone), plus
   * any still checked in: what the security desk works from.
   */
  async today(): Promise<VisitorView[]> {
    const rows = await this.todayRows();
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async todayCount(): Promise<VisitorsTodayCountView> {
    const rows = await this.todayRows();
    return { expected: rows.filter((r) => r.status === 'expected').length, checkedIn: rows.filter((r) => r.status === 'checked_in').length };
  }

  private async todayRows(): Promise<VisitorEntity[]> {
    const now = this.clock.nowMs();
    // Local dates differ from UTC's by at most a day either way: a two-day band of candidates, then each site's date.
    const rows = await this.ds.getRepository(VisitorEntity).find({
      where: { status: Not('erased') as unknown as VisitorStatus, windowStart: LessThanOrEqual(now + 2 * DAY_MS) },
      order: { windowStart: 'ASC', id: 'ASC' },
    });
    const zones = new Map<string, string>();
    const out: VisitorEntity[] = [];
    for (const r of rows) {
      if (r.windowEnd < now - 2 * DAY_MS && r.status !== 'checked_in') continue;
      if (!zones.has(r.siteId)) zones.set(r.siteId, (await this.sites.getSite(r.siteId).catch(() => ({ timeZone: 'UTC' }))).timeZone);
      if (r.status === 'checked_in' || r.visitDate === localDate(now, zones.get(r.siteId)!)) out.push(r);
    }
    return out;
  }

  /**
   * The desk checked the ID document (only that is recorded) and lets the visitor in: a person of
   * kind visitor with this visit's id, valid from now to the window's end, escorted by the host
   * when the customer's policy says so, and a grant of the visit's access level for the same
   * period. Each step is recorded before the next, so a retry after a refusal (a reader's
   * capacity) goes on from where it stopped.
   */
  async checkIn(id: string, staffId: string | null, idChecked: boolean): Promise<VisitorView> {
    const now = this.clock.nowMs();
    const v = await this.mustGet(undefined, id);
    const problem = checkInProblem(v.status, idChecked, v.windowStart, v.windowEnd, now);
    if (problem === 'visitor.id_not_checked') throw new DomainError(problem, 'check the ID document at the desk first (idChecked: true)');
    if (problem) throw new ConflictError(problem, 'the visitor cannot be checked in', { visitorStatus: v.status });
    const escortRequired = await this.escortRequired(v.customerId);
    const existing = await this.people.get(v.customerId, v.id).catch(() => null);
    if (!existing) {
      const fullName = (await this.pd.open(visitorRow(v.id), 'name', v.nameCt))!;
      const email = await this.pd.open(visitorRow(v.id), 'email', v.emailCt);
      await this.people.createVisitor(v.customerId, {
        id: v.id,
        fullName,
        email,
        validFrom: Math.min(now, v.windowStart),
        validUntil: v.windowEnd,
        escortPersonId: escortRequired ? v.hostPersonId : null,
      });
    }
    const grant = await this.access.createGrant({
      accessLevelId: v.accessLevelId,
      customerId: v.customerId,
      personId: v.id,
      validFrom: iso(Math.min(now, v.windowStart)),
      validUntil: iso(v.windowEnd),
    });
    const done = await this.writes.transaction(async (m) => {
      const r = await m.update(
        VisitorEntity,
        { id, status: 'expected' },
        { status: 'checked_in', escortRequired, idCheckedAt: now, idCheckedBy: staffId, checkedInAt: now, checkedInBy: staffId, grantId: grant.id },
      );
      // The host's company hears of the arrival in the same commit (at most once per visit).
      if (r.affected)
        await this.notifications?.enqueueIn(m, v.customerId, 'visitor_arrived', `visitor_arrived:${id}`, {
          visitorId: id,
          placeId: 'the security desk',
          at: now,
        });
      return r;
    });
    if (done.affected === 0) {
      await this.access.deleteGrant(grant.id);
      throw new ConflictError('visitor.not_expected', 'the visitor was checked in meanwhile');
    }
    return this.get(undefined, id);
  }

  /**
   * The customer (or the desk) calls off a visit that is still expected: the desk can no longer
   * check the visitor in. Nothing exists in the registry yet, so only the status changes; the data
   * is erased after the retention period like any visit's. Conditional on `expected`, so a
   * check-in at the same moment wins or loses as a whole.
   */
  async cancel(customerId: string, id: string): Promise<VisitorView> {
    const v = await this.mustGet(customerId, id);
    const problem = cancelProblem(v.status);
    const refused = () => new ConflictError('visitor.not_expected', 'only an expected visit can be cancelled', { visitorStatus: v.status });
    if (problem) throw refused();
    const r = await this.writes.transaction((m) => m.update(VisitorEntity, { id, customerId, status: 'expected' }, { status: 'cancelled' }));
    if (r.affected === 0) throw refused();
    return this.get(customerId, id);
  }

  /** The visitor leaves: their access ends now (the person's validity), not only at the window's end. */
  async checkOut(id: string, staffId: string | null): Promise<VisitorView> {
    const now = this.clock.nowMs();
    const v = await this.mustGet(undefined, id);
    if (v.status !== 'checked_in') throw new ConflictError('visitor.not_checked_in', 'the visitor is not checked in', { visitorStatus: v.status });
    await this.people.endValidity(v.customerId, v.id, now);
    await this.writes.transaction((m) => m.update(VisitorEntity, { id, status: 'checked_in' }, { status: 'left', checkedOutAt: now, checkedOutBy: staffId }));
    return this.get(undefined, id);
  }

  async policy(customerId: string): Promise<VisitorPolicyView> {
    if ((await this.customers.isPurged(customerId)) === null) throw new NotFoundError('Customer', customerId);
    return { customerId, visitorEscortRequired: await this.escortRequired(customerId) };
  }

  async setPolicy(customerId: string, escortRequired: boolean, staffId: string | null): Promise<VisitorPolicyView> {
    if ((await this.customers.isPurged(customerId)) === null) throw new NotFoundError('Customer', customerId);
    await this.writes.transaction((m) => m.save(VisitorPolicyEntity, { customerId, escortRequired, updatedAt: this.clock.nowMs(), updatedBy: staffId }));
    return { customerId, visitorEscortRequired: escortRequired };
  }

  private async escortRequired(customerId: string): Promise<boolean> {
    const row = await this.ds.getRepository(VisitorPolicyEntity).findOne({ where: { customerId } });
    return row?.escortRequired ?? true;
  }

  /**
   * One round of the sweep: visits whose window ended are closed (no-show, or left: access had
   * already ended with the window), and visits whose retention period is over are handed to
   * compliance for erasure. Each change is audited with ids only.
   */
  async sweep(): Promise<{ closed: number; erasures: number }> {
    const now = this.clock.nowMs();
    const repo = this.ds.getRepository(VisitorEntity);
    let closed = 0;
    for (const v of await repo.find({ where: { status: In(['expected', 'checked_in']), windowEnd: LessThanOrEqual(now) } })) {
      const next = statusAtWindowEnd(v.status)!;
      const patch = next === 'left' ? { status: next, checkedOutAt: v.windowEnd, checkedOutBy: null } : { status: next };
      const r = await this.writes.transaction((m) => m.update(VisitorEntity, { id: v.id, status: v.status }, patch));
      if (r.affected === 0) continue;
      closed++;
      await this.audit.record({
        actor: SYSTEM,
        action: `visitor.${next}`,
        targetType: 'visitor',
        targetId: v.id,
        outcome: 'success',
        details: { customerId: v.customerId },
      });
    }
    const days = this.config.VISITOR_RETENTION_DAYS;
    let erasures = 0;
    const due = await repo.find({ where: { status: Not('erased') as unknown as VisitorStatus, windowEnd: LessThanOrEqual(now - days * DAY_MS) }, take: 100 });
    for (const v of due) {
      if (!erasureDue(v.status, v.windowEnd, days, now)) continue;
      try {
        const job = await this.erasure.startVisitorErasure(v.customerId, v.id, null);
        if (v.erasureJobId !== job.id) await this.writes.transaction((m) => m.update(VisitorEntity, { id: v.id }, { erasureJobId: job.id }));
        erasures++;
      } catch (err) {
        this.log.warn(`erasure of visit ${v.id} not started: ${(err as Error).message}`);
      }
    }
    return { closed, erasures };
  }

  private async mustGet(customerId: string | undefined, id: string): Promise<VisitorEntity> {
    const e = await this.ds.getRepository(VisitorEntity).findOne({ where: customerId === undefined ? { id } : { id, customerId } });
    if (!e) throw new NotFoundError('Visitor', id);
    return e;
  }

  private async view(e: VisitorEntity): Promise<VisitorView> {
    return {
      id: e.id,
      customerId: e.customerId,
      status: e.status,
      fullName: await this.openOrNull(e.id, 'name', e.nameCt),
      company: await this.openOrNull(e.id, 'company', e.companyCt),
      email: await this.openOrNull(e.id, 'email', e.emailCt),
      hostPersonId: e.hostPersonId,
      accessLevelId: e.accessLevelId,
      siteId: e.siteId,
      visitDate: e.visitDate,
      windowStart: iso(e.windowStart),
      windowEnd: iso(e.windowEnd),
      escortRequired: e.escortRequired,
      idCheckedAt: isoOrNull(e.idCheckedAt),
      idCheckedBy: e.idCheckedBy,
      checkedInAt: isoOrNull(e.checkedInAt),
      checkedOutAt: isoOrNull(e.checkedOutAt),
      checkedOutBy: e.checkedOutBy,
      grantId: e.grantId,
      registeredAt: iso(e.registeredAt),
      erasedAt: isoOrNull(e.erasedAt),
      erasureJobId: e.erasureJobId,
    };
  }

  /** After the customer's purge its key is shredded: a sealed value reads as gone, not as an error. */
  private async openOrNull(id: string, field: string, ct: string | null): Promise<string | null> {
    try {
      return await this.pd.open(visitorRow(id), field, ct);
    } catch {
      return null;
    }
  }
}
