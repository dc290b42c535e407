import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { validateSchedule } from '@acs/access-rules';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, isoOrNull, NotFoundError, type Page } from '@acs/http';
import { AccessLevelEntity, CustomerEntity, DoorEntity, GrantEntity, PersonEntity, ScheduleEntity, SiteEntity, ZoneEntity } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { pageById, type PageQueryDto } from '../common/paging.js';
import { assertUnreferenced } from '../common/references.js';
import { RegistryChanges } from '../common/registry-changes.js';
import { CapacityGuard } from './capacity.guard.js';
import type {
  AccessLevelView,
  CreateAccessLevelDto,
  CreateGrantDto,
  CreateScheduleDto,
  GrantQueryDto,
  GrantView,
  ScheduleView,
  UpdateAccessLevelDto,
  UpdateGrantDto,
  UpdateScheduleDto,
} from './access.dto.js';

const parse = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Date.parse(v));

const scheduleView = (s: ScheduleEntity): ScheduleView => ({
  id: s.id,
  name: s.name,
  timeZone: s.timeZone,
  windows: s.windows,
  holidays: s.holidays,
  holidayWindows: s.holidayWindows,
});
const levelView = (l: AccessLevelEntity): AccessLevelView => ({
  id: l.id,
  siteId: l.siteId,
  name: l.name,
  scheduleId: l.scheduleId,
  zoneIds: (l.zones ?? []).map((z) => z.id).sort(),
  doorIds: (l.doors ?? []).map((d) => d.id).sort(),
});
const grantView = (g: GrantEntity): GrantView => ({
  id: g.id,
  accessLevelId: g.accessLevelId,
  customerId: g.customerId,
  personId: g.personId,
  validFrom: isoOrNull(g.validFrom),
  validUntil: isoOrNull(g.validUntil),
});

@Injectable()
export class AccessService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly capacity: CapacityGuard,
    private readonly changes: RegistryChanges,
  ) {}

  // ----- schedules -----

  async createSchedule(dto: CreateScheduleDto): Promise<ScheduleView> {
    const e: ScheduleEntity = {
      id: newId(),
      name: dto.name,
      timeZone: dto.timeZone ?? this.config.DEFAULT_TIME_ZONE,
      windows: dto.windows.map((w) => ({ day: w.day, start: w.start, end: w.end })),
      holidays: dto.holidays ?? [],
      holidayWindows: (dto.holidayWindows ?? []).map((w) => ({ day: w.day, start: w.start, end: w.end })),
      createdAt: this.clock.nowMs(),
    };
    assertSchedule(e);
    await this.writes.transaction(async (m) => {
      if (await m.exists(ScheduleEntity, { where: { name: e.name } })) throw new ConflictError('schedule.name_taken', 'a schedule with this name exists');
      await m.insert(ScheduleEntity, e);
    });
    this.changes.emit({ kind: 'schedule', id: e.id, op: 'created' });
    return scheduleView(e);
  }

  async updateSchedule(id: string, dto: UpdateScheduleDto): Promise<ScheduleView> {
    const e = await this.writes.transaction(async (m) => {
      const s = await this.mustGetSchedule(id, m);
      if (dto.name !== undefined) s.name = dto.name;
      if (dto.timeZone !== undefined) s.timeZone = dto.timeZone;
      if (dto.windows !== undefined) s.windows = dto.windows.map((w) => ({ day: w.day, start: w.start, end: w.end }));
      if (dto.holidays !== undefined) s.holidays = dto.holidays;
      if (dto.holidayWindows !== undefined) s.holidayWindows = dto.holidayWindows.map((w) => ({ day: w.day, start: w.start, end: w.end }));
      assertSchedule(s);
      await m.save(ScheduleEntity, s);
      return s;
    });
    this.changes.emit({ kind: 'schedule', id, op: 'updated' });
    return scheduleView(e);
  }

  async getSchedule(id: string): Promise<ScheduleView> {
    return scheduleView(await this.mustGetSchedule(id));
  }

  listSchedules(q: PageQueryDto): Promise<Page<ScheduleView>> {
    return pageById(this.ds.getRepository(ScheduleEntity).createQueryBuilder('s'), 's', q, scheduleView);
  }

  async deleteSchedule(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetSchedule(id, m);
      await assertUnreferenced(m, 'the schedule', [{ entity: AccessLevelEntity, where: { scheduleId: id }, label: 'access levels' }]);
      await m.delete(ScheduleEntity, { id });
    });
    this.changes.emit({ kind: 'schedule', id, op: 'deleted' });
  }

  private async mustGetSchedule(id: string, m: EntityManager = this.ds.manager): Promise<ScheduleEntity> {
    const s = await m.findOne(ScheduleEntity, { where: { id } });
    if (!s) throw new NotFoundError('Schedule', id);
    return s;
  }

  // ----- access levels -----

  async createAccessLevel(dto: CreateAccessLevelDto): Promise<AccessLevelView> {
    const id = newId();
    const level = await this.writes.transaction(async (m) => {
      if (!(await m.exists(SiteEntity, { where: { id: dto.siteId } }))) throw new NotFoundError('Site', dto.siteId);
      if (await m.exists(AccessLevelEntity, { where: { name: dto.name } }))
        throw new ConflictError('access_level.name_taken', 'an access level with this name exists');
      if (dto.scheduleId) await this.mustGetSchedule(dto.scheduleId, m);
      const e = m.create(AccessLevelEntity, {
        id,
        siteId: dto.siteId,
        name: dto.name,
        scheduleId: dto.scheduleId ?? null,
        zones: await this.zonesOfSite(m, dto.siteId, dto.zoneIds ?? []),
        doors: await this.doorsOfSite(m, dto.siteId, dto.doorIds ?? []),
        createdAt: this.clock.nowMs(),
      });
      await m.save(AccessLevelEntity, e);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'access_level', id, op: 'created' });
    return levelView(level);
  }

  async updateAccessLevel(id: string, dto: UpdateAccessLevelDto): Promise<AccessLevelView> {
    const level = await this.writes.transaction(async (m) => {
      const e = await this.mustGetLevel(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      if (dto.scheduleId !== undefined) {
        if (dto.scheduleId) await this.mustGetSchedule(dto.scheduleId, m);
        e.scheduleId = dto.scheduleId;
      }
      if (dto.zoneIds !== undefined) e.zones = await this.zonesOfSite(m, e.siteId, dto.zoneIds);
      if (dto.doorIds !== undefined) e.doors = await this.doorsOfSite(m, e.siteId, dto.doorIds);
      await m.save(AccessLevelEntity, e);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'access_level', id, op: 'updated' });
    return levelView(level);
  }

  async getAccessLevel(id: string): Promise<AccessLevelView> {
    return levelView(await this.mustGetLevel(id));
  }

  listAccessLevels(q: PageQueryDto): Promise<Page<AccessLevelView>> {
    const qb = this.ds.getRepository(AccessLevelEntity).createQueryBuilder('l').leftJoinAndSelect('l.zones', 'z').leftJoinAndSelect('l.doors', 'd');
    // Paged by level id; the joins only decorate each level.
    return pageById(qb, 'l', q, levelView);
  }

  async deleteAccessLevel(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetLevel(id, m);
      await assertUnreferenced(m, 'the access level', [{ entity: GrantEntity, where: { accessLevelId: id }, label: 'grants' }]);
      await m.delete(AccessLevelEntity, { id });
    });
    this.changes.emit({ kind: 'access_level', id, op: 'deleted' });
  }

  /**
   * The access levels a customer's grants name (whole-customer and per-person), for the customer
   * portal's requests: a customer may ask for what it already holds, never for another's levels.
   */
  async accessLevelsOfCustomer(customerId: string): Promise<AccessLevelView[]> {
    const rows = await this.ds
      .getRepository(GrantEntity)
      .createQueryBuilder('g')
      .select('DISTINCT g.accessLevelId', 'id')
      .where('g.customerId = :customerId', { customerId })
      .getRawMany<{ id: string }>();
    if (rows.length === 0) return [];
    const levels = await this.ds.getRepository(AccessLevelEntity).find({ where: { id: In(rows.map((r) => r.id)) }, relations: { zones: true, doors: true } });
    return levels.map(levelView).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async mustGetLevel(id: string, m: EntityManager = this.ds.manager): Promise<AccessLevelEntity> {
    const l = await m.findOne(AccessLevelEntity, { where: { id }, relations: { zones: true, doors: true } });
    if (!l) throw new NotFoundError('Access level', id);
    return l;
  }

  private async zonesOfSite(m: EntityManager, siteId: string, ids: string[]): Promise<ZoneEntity[]> {
    const zones = ids.length ? await m.find(ZoneEntity, { where: { id: In(ids) } }) : [];
    const bad = ids.filter((id) => !zones.some((z) => z.id === id && z.siteId === siteId));
    if (bad.length) throw new DomainError('access_level.bad_zones', 'some zones do not exist or belong to another site', 400, { zoneIds: bad });
    return zones;
  }

  private async doorsOfSite(m: EntityManager, siteId: string, ids: string[]): Promise<DoorEntity[]> {
    const doors = ids.length ? await m.find(DoorEntity, { where: { id: In(ids) }, relations: { zone: true } }) : [];
    const bad = ids.filter((id) => !doors.some((d) => d.id === id && d.zone?.siteId === siteId));
    if (bad.length) throw new DomainError('access_level.bad_doors', 'some doors do not exist or belong to another site', 400, { doorIds: bad });
    return doors;
  }

  // ----- grants -----

  async createGrant(dto: CreateGrantDto): Promise<GrantView> {
    const validFrom = parse(dto.validFrom);
    const validUntil = parse(dto.validUntil);
    assertWindow(validFrom, validUntil);
    const id = newId();
    const grant = await this.writes.transaction(async (m) => {
      await this.mustGetLevel(dto.accessLevelId, m);
      const customer = await m.findOne(CustomerEntity, { where: { id: dto.customerId } });
      if (!customer) throw new NotFoundError('Customer', dto.customerId);
      if (customer.purgedAt !== null) throw new ConflictError('customer.purged', 'a purged customer cannot be granted access');
      if (dto.personId && !(await m.exists(PersonEntity, { where: { id: dto.personId, customerId: dto.customerId } }))) {
        throw new NotFoundError('Person', dto.personId);
      }
      const e: GrantEntity = {
        id,
        accessLevelId: dto.accessLevelId,
        customerId: dto.customerId,
        personId: dto.personId ?? null,
        validFrom,
        validUntil,
        createdAt: this.clock.nowMs(),
      };
      await m.insert(GrantEntity, e);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'grant', id, op: 'created', customerId: grant.customerId });
    return grantView(grant);
  }

  async updateGrant(id: string, dto: UpdateGrantDto): Promise<GrantView> {
    const grant = await this.writes.transaction(async (m) => {
      const g = await this.mustGetGrant(id, m);
      if (dto.validFrom !== undefined) g.validFrom = parse(dto.validFrom);
      if (dto.validUntil !== undefined) g.validUntil = parse(dto.validUntil);
      assertWindow(g.validFrom, g.validUntil);
      await m.save(GrantEntity, g);
      await this.capacity.assertFits(m);
      return g;
    });
    this.changes.emit({ kind: 'grant', id, op: 'updated', customerId: grant.customerId });
    return grantView(grant);
  }

  async getGrant(id: string, customerId?: string): Promise<GrantView> {
    const g = await this.mustGetGrant(id);
    if (customerId !== undefined && g.customerId !== customerId) throw new NotFoundError('Grant', id);
    return grantView(g);
  }

  listGrants(q: GrantQueryDto): Promise<Page<GrantView>> {
    const qb = this.ds.getRepository(GrantEntity).createQueryBuilder('g');
    if (q.customerId) qb.andWhere('g.customerId = :customerId', { customerId: q.customerId });
    if (q.personId) qb.andWhere('g.personId = :personId', { personId: q.personId });
    if (q.accessLevelId) qb.andWhere('g.accessLevelId = :accessLevelId', { accessLevelId: q.accessLevelId });
    return pageById(qb, 'g', q, grantView);
  }

  async deleteGrant(id: string): Promise<void> {
    const g = await this.writes.transaction(async (m) => {
      const e = await this.mustGetGrant(id, m);
      await m.delete(GrantEntity, { id });
      return e;
    });
    this.changes.emit({ kind: 'grant', id, op: 'deleted', customerId: g.customerId });
  }

  private async mustGetGrant(id: string, m: EntityManager = this.ds.manager): Promise<GrantEntity> {
    const g = await m.findOne(GrantEntity, { where: { id } });
    if (!g) throw new NotFoundError('Grant', id);
    return g;
  }
}

function assertSchedule(s: ScheduleEntity): void {
  const problems = validateSchedule({ id: s.id, timeZone: s.timeZone, windows: s.windows, holidays: s.holidays, holidayWindows: s.holidayWindows });
  if (problems.length > 0) throw new DomainError('schedule.invalid', 'the schedule is not valid', 400, { problems });
}

function assertWindow(from: number | null, until: number | null): void {
  if (from !== null && until !== null && until <= from) throw new DomainError('grant.bad_validity', 'validUntil must be after validFrom');
}
