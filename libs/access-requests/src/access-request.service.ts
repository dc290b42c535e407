import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { timeOrderedId } from '@acs/crypto';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, decodeCursor, encodeCursor, isoOrNull, iso, NotFoundError, type Page } from '@acs/http';
import { Notifications } from '@acs/notifications';
import { AccessService, customerScope, CustomerService, PersonalData, PersonService } from '@acs/registry';
import { AccessRequestEntity, PreApprovalEntity, type RequestStatus } from './access-request.entity.js';
import type { AccessRequestQueryDto, AccessRequestView, FileAccessRequestDto, PreApprovedLevelsView, RequestableLevelView } from './access-request.dto.js';
import { appliedStatus, canDecide, invitesToEnrolment, onFiling, validPeriod } from './rules.js';

const row = (id: string) => `access_request:${id}`;
const parse = (v: string | undefined): number | null => (v === undefined ? null : Date.parse(v));

/**
 * The customer portal's requests: filed by a customer (administrator or token), decided by the
 * datacenter's staff, applied through the registry's own operations (each commits on its own and
 * announces its change after the commit, as the registry requires). The request row records the
 * ids of what its application made, so it never applies twice.
 */
@Injectable()
export class AccessRequestService {
  private readonly log = new Logger(AccessRequestService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly pd: PersonalData,
    private readonly customers: CustomerService,
    private readonly people: PersonService,
    private readonly access: AccessService,
    private readonly notifications: Notifications,
  ) {}

  async file(customerId: string, dto: FileAccessRequestDto, requestedBy: string | null): Promise<AccessRequestView> {
    const validFrom = parse(dto.validFrom);
    const validUntil = parse(dto.validUntil);
    if (!validPeriod(validFrom, validUntil)) throw new DomainError('access_request.bad_period', 'validUntil must be after validFrom');
    const purged = await this.customers.isPurged(customerId);
    if (purged === null) throw new NotFoundError('Customer', customerId);
    if (purged) throw new ConflictError('customer.purged', 'a purged customer cannot file requests');
    const accessLevelId = dto.accessLevelId ?? null;
    const personId = dto.kind === 'add_person' ? null : dto.personId!;
    // Scoped like every customer route: another customer's person or level is "not found".
    if (personId !== null) await this.people.get(customerId, personId);
    const pre = await this.preApprovedSet(customerId);
    if (accessLevelId !== null && dto.kind !== 'remove') await this.assertRequestable(customerId, accessLevelId, pre);
    if (dto.kind === 'remove') {
      const grants = await this.grantsOf(customerId, personId!, accessLevelId);
      if (grants.length === 0) throw new ConflictError('access_request.nothing_to_remove', 'the person holds no such access');
    }
    const id = timeOrderedId();
    const e: AccessRequestEntity = {
      id,
      customerId,
      kind: dto.kind,
      status: 'pending',
      personId,
      accessLevelId,
      validFrom: dto.kind === 'remove' ? null : validFrom,
      validUntil: dto.kind === 'remove' ? null : validUntil,
      nameCt: dto.kind === 'add_person' ? await this.pd.seal(customerScope(customerId), row(id), 'name', dto.fullName) : null,
      emailCt: dto.kind === 'add_person' ? await this.pd.seal(customerScope(customerId), row(id), 'email', dto.email) : null,
      requestedBy,
      requestedAt: this.clock.nowMs(),
      decidedBy: null,
      decidedAt: null,
      reason: null,
      preApproved: false,
      grantId: null,
      revokedGrants: null,
      enrolment: null,
    };
    await this.writes.transaction((m) => m.insert(AccessRequestEntity, e));
    if (onFiling(e.kind, accessLevelId, pre) === 'apply') {
      // Applied at once; should the registry refuse (a reader's capacity, say), the request stays
      // pending for staff instead of being lost.
      try {
        await this.apply(e, null, null, e.kind === 'grant');
      } catch (err) {
        if (!(err instanceof DomainError) || e.kind === 'remove') throw err;
        this.log.warn(`pre-approved request ${id} left pending: ${err.code}`);
      }
    }
    return this.view(await this.mustGet(customerId, id));
  }

  async approve(id: string, staffId: string, reason: string | null): Promise<AccessRequestView> {
    const e = await this.mustGet(undefined, id);
    if (!canDecide(e.status)) throw new ConflictError('access_request.not_pending', 'the request has already been decided', { requestStatus: e.status });
    await this.apply(e, staffId, reason, false);
    return this.view(await this.mustGet(undefined, id));
  }

  async refuse(id: string, staffId: string, reason: string): Promise<AccessRequestView> {
    await this.writes.transaction(async (m) => {
      const e = await m.findOne(AccessRequestEntity, { where: { id } });
      if (!e) throw new NotFoundError('Access request', id);
      if (!canDecide(e.status)) throw new ConflictError('access_request.not_pending', 'the request has already been decided', { requestStatus: e.status });
      await m.update(AccessRequestEntity, { id }, { status: 'refused', decidedBy: staffId, decidedAt: this.clock.nowMs(), reason });
      await this.notifyDecision(m, { ...e, status: 'refused' });
    });
    return this.view(await this.mustGet(undefined, id));
  }

  async get(customerId: string | undefined, id: string): Promise<AccessRequestView> {
    return this.view(await this.mustGet(customerId, id));
  }

  /** Newest first. */
  async list(customerId: string | undefined, q: AccessRequestQueryDto): Promise<Page<AccessRequestView>> {
    const limit = q.limit ?? 50;
    const qb = this.ds.getRepository(AccessRequestEntity).createQueryBuilder('r');
    if (customerId !== undefined) qb.andWhere('r.customerId = :customerId', { customerId });
    if (q.status) qb.andWhere('r.status = :status', { status: q.status });
    if (q.cursor) qb.andWhere('r.id < :before', { before: decodeCursor<{ id: string }>(q.cursor, { id: 'string' }).id });
    const rows = await qb
      .orderBy('r.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((e) => this.view(e)));
    return rows.length > limit ? { items, nextCursor: encodeCursor({ id: page[page.length - 1]!.id }) } : { items };
  }

  pendingCount(): Promise<number> {
    return this.ds.getRepository(AccessRequestEntity).count({ where: { status: 'pending' } });
  }

  /** What the customer may ask for: the levels its grants name, and those staff pre-approved. */
  async requestableLevels(customerId: string): Promise<RequestableLevelView[]> {
    const pre = await this.preApprovedSet(customerId);
    const held = await this.access.accessLevelsOfCustomer(customerId);
    const extra = await Promise.all([...pre].filter((id) => !held.some((l) => l.id === id)).map((id) => this.access.getAccessLevel(id).catch(() => null)));
    return [...held, ...extra.filter((l) => l !== null)].map((l) => ({ id: l.id, name: l.name, zoneIds: l.zoneIds, preApproved: pre.has(l.id) }));
  }

  async preApproved(customerId: string): Promise<PreApprovedLevelsView> {
    return { customerId, accessLevelIds: [...(await this.preApprovedSet(customerId))].sort() };
  }

  async setPreApproved(customerId: string, accessLevelIds: string[]): Promise<PreApprovedLevelsView> {
    if ((await this.customers.isPurged(customerId)) === null) throw new NotFoundError('Customer', customerId);
    const ids = [...new Set(accessLevelIds)];
    for (const levelId of ids) await this.access.getAccessLevel(levelId);
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m) => {
      await m.delete(PreApprovalEntity, { customerId });
      if (ids.length)
        await m.insert(
          PreApprovalEntity,
          ids.map((accessLevelId) => ({ customerId, accessLevelId, createdAt: now })),
        );
    });
    return this.preApproved(customerId);
  }

  /**
   * Applies the request through the registry and records what it made, step by step, so a
   * failure half-way (a reader's capacity refusing the grant) leaves the request pending with the
   * person it already created, and a second approval goes on from there.
   */
  private async apply(e: AccessRequestEntity, staffId: string | null, reason: string | null, preApproved: boolean): Promise<void> {
    const at = this.clock.nowMs();
    if (e.kind === 'remove') {
      const grants = await this.grantsOf(e.customerId, e.personId!, e.accessLevelId);
      for (const g of grants) await this.access.deleteGrant(g.id);
      await this.finish(e.id, { status: 'applied', decidedAt: at, revokedGrants: grants.length });
      return;
    }
    let personId = e.personId;
    if (e.kind === 'add_person' && personId === null) {
      const fullName = (await this.pd.open(row(e.id), 'name', e.nameCt))!;
      const email = await this.pd.open(row(e.id), 'email', e.emailCt);
      personId = (await this.people.create(e.customerId, { fullName, ...(email ? { email } : {}) })).id;
      // The person row now holds the name: the request keeps only the id.
      await this.writes.transaction((m) => m.update(AccessRequestEntity, { id: e.id }, { personId, nameCt: null, emailCt: null }));
    }
    let grantId = e.grantId;
    if (e.accessLevelId !== null && grantId === null) {
      grantId = (
        await this.access.createGrant({
          accessLevelId: e.accessLevelId,
          customerId: e.customerId,
          personId: personId!,
          ...(e.validFrom !== null ? { validFrom: iso(e.validFrom) } : {}),
          ...(e.validUntil !== null ? { validUntil: iso(e.validUntil) } : {}),
        })
      ).id;
    }
    const status = appliedStatus(e.kind);
    // Staff's decision is told to the customer's administrators, in the decision's transaction;
    // what the customer applied itself (pre-approved, removals) they already see.
    const told = staffId === null ? undefined : (m: EntityManager) => this.notifyDecision(m, { ...e, status, personId });
    await this.finish(
      e.id,
      {
        status,
        decidedBy: staffId,
        decidedAt: at,
        reason,
        preApproved,
        grantId,
        enrolment: invitesToEnrolment(e.kind, e.accessLevelId) ? 'invited' : null,
      },
      told,
    );
  }

  /** The last step is conditional on the request still being pending: two deciders cannot both win. */
  private async finish(
    id: string,
    patch: Partial<AccessRequestEntity> & { status: RequestStatus },
    also?: (m: EntityManager) => Promise<unknown>,
  ): Promise<void> {
    await this.writes.transaction(async (m) => {
      const done = await m.update(AccessRequestEntity, { id, status: 'pending' }, patch);
      if (done.affected === 0) throw new ConflictError('access_request.not_pending', 'the request has already been decided');
      if (also) await also(m);
    });
  }

  /** Queues the decision's mail (ids only: the reason is read in the console, it may name someone). */
  private notifyDecision(
    m: EntityManager,
    e: Pick<AccessRequestEntity, 'id' | 'customerId' | 'kind' | 'status' | 'personId' | 'accessLevelId'>,
  ): Promise<number> {
    return this.notifications.enqueueIn(m, e.customerId, 'request_decided', `request_decided:${e.id}`, {
      requestId: e.id,
      decision: e.status === 'refused' ? 'refused' : 'approved',
      requestKind: e.kind,
      personId: e.personId,
      accessLevelId: e.accessLevelId,
    });
  }

  private async grantsOf(customerId: string, personId: string, accessLevelId: string | null): Promise<Array<{ id: string }>> {
    const page = await this.access.listGrants({ customerId, personId, ...(accessLevelId ? { accessLevelId } : {}), limit: 200 });
    return page.items;
  }

  private async assertRequestable(customerId: string, accessLevelId: string, pre: ReadonlySet<string>): Promise<void> {
    if (pre.has(accessLevelId)) return;
    const held = await this.access.accessLevelsOfCustomer(customerId);
    if (!held.some((l) => l.id === accessLevelId)) throw new NotFoundError('Access level', accessLevelId);
  }

  private async preApprovedSet(customerId: string): Promise<Set<string>> {
    const rows = await this.ds.getRepository(PreApprovalEntity).find({ where: { customerId } });
    return new Set(rows.map((r) => r.accessLevelId));
  }

  private async mustGet(customerId: string | undefined, id: string): Promise<AccessRequestEntity> {
    const e = await this.ds.getRepository(AccessRequestEntity).findOne({ where: customerId === undefined ? { id } : { id, customerId } });
    if (!e) throw new NotFoundError('Access request', id);
    return e;
  }

  private async view(e: AccessRequestEntity): Promise<AccessRequestView> {
    return {
      id: e.id,
      customerId: e.customerId,
      kind: e.kind,
      status: e.status,
      personId: e.personId,
      fullName: await this.openOrNull(e.id, 'name', e.nameCt),
      email: await this.openOrNull(e.id, 'email', e.emailCt),
      accessLevelId: e.accessLevelId,
      validFrom: isoOrNull(e.validFrom),
      validUntil: isoOrNull(e.validUntil),
      requestedBy: e.requestedBy,
      requestedAt: iso(e.requestedAt),
      decidedBy: e.decidedBy,
      decidedAt: isoOrNull(e.decidedAt),
      reason: e.reason,
      preApproved: e.preApproved,
      grantId: e.grantId,
      revokedGrants: e.revokedGrants,
      enrolment: e.enrolment,
    };
  }

  /** After the customer's purge its key is shredded: the sealed name reads as gone, not as an error. */
  private async openOrNull(id: string, field: string, ct: string | null): Promise<string | null> {
    try {
      return await this.pd.open(row(id), field, ct);
    } catch {
      return null;
    }
  }
}
