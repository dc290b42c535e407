import { DEFAULT_CREDENTIAL_POLICY } from '@acs/access-rules';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IANAZone } from 'luxon';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, NotFoundError, type Page } from '@acs/http';
import { AccessLevelEntity, ControllerEntity, DoorEntity, ReaderEntity, SiteEntity, ZoneEntity } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { pageById, type PageQueryDto } from '../common/paging.js';
import { assertUnreferenced } from '../common/references.js';
import { RegistryChanges } from '../common/registry-changes.js';
import type { CreateSiteDto, CreateZoneDto, SiteView, UpdateSiteDto, UpdateZoneDto, ZoneQueryDto, ZoneView } from './site.dto.js';

export function assertTimeZone(tz: string): void {
  if (!IANAZone.isValidZone(tz)) throw new DomainError('registry.bad_time_zone', `${tz} is not an IANA time zone`);
}

const siteView = (s: SiteEntity): SiteView => ({ id: s.id, name: s.name, timeZone: s.timeZone });
const zoneView = (z: ZoneEntity): ZoneView => ({
  id: z.id,
  siteId: z.siteId,
  parentZoneId: z.parentZoneId,
  name: z.name,
  kind: z.kind,
  antiPassback: z.antiPassback,
  interlockGroup: z.interlockGroup,
  twoPersonWindowSeconds: z.twoPersonWindowSeconds,
  lockdown: z.lockdown,
  credentialPolicy: z.credentialPolicy,
});

@Injectable()
export class SiteService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly changes: RegistryChanges,
  ) {}

  async createSite(dto: CreateSiteDto): Promise<SiteView> {
    const timeZone = dto.timeZone ?? this.config.DEFAULT_TIME_ZONE;
    assertTimeZone(timeZone);
    const e: SiteEntity = { id: newId(), name: dto.name, timeZone, createdAt: this.clock.nowMs() };
    await this.writes.transaction(async (m) => {
      if (await m.exists(SiteEntity, { where: { name: dto.name } })) throw new ConflictError('site.name_taken', 'a site with this name exists');
      await m.insert(SiteEntity, e);
    });
    this.changes.emit({ kind: 'site', id: e.id, op: 'created' });
    return siteView(e);
  }

  async updateSite(id: string, dto: UpdateSiteDto): Promise<SiteView> {
    if (dto.timeZone) assertTimeZone(dto.timeZone);
    const e = await this.writes.transaction(async (m) => {
      const s = await this.mustGetSite(id, m);
      if (dto.name !== undefined) s.name = dto.name;
      if (dto.timeZone !== undefined) s.timeZone = dto.timeZone;
      await m.save(SiteEntity, s);
      return s;
    });
    this.changes.emit({ kind: 'site', id, op: 'updated' });
    return siteView(e);
  }

  async getSite(id: string): Promise<SiteView> {
    return siteView(await this.mustGetSite(id));
  }

  listSites(q: PageQueryDto): Promise<Page<SiteView>> {
    return pageById(this.ds.getRepository(SiteEntity).createQueryBuilder('s'), 's', q, siteView);
  }

  async deleteSite(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetSite(id, m);
      await assertUnreferenced(m, 'the site', [
        { entity: ZoneEntity, where: { siteId: id }, label: 'zones' },
        { entity: ReaderEntity, where: { siteId: id }, label: 'readers' },
        { entity: ControllerEntity, where: { siteId: id }, label: 'door controllers' },
        { entity: AccessLevelEntity, where: { siteId: id }, label: 'access levels' },
      ]);
      await m.delete(SiteEntity, { id });
    });
    this.changes.emit({ kind: 'site', id, op: 'deleted' });
  }

  async createZone(dto: CreateZoneDto): Promise<ZoneView> {
    const e = await this.writes.transaction(async (m) => {
      await this.mustGetSite(dto.siteId, m);
      if (dto.parentZoneId) {
        const parent = await this.mustGetZone(dto.parentZoneId, m);
        if (parent.siteId !== dto.siteId) throw new DomainError('zone.parent_other_site', 'the parent zone belongs to another site');
      }
      const z: ZoneEntity = {
        id: newId(),
        siteId: dto.siteId,
        parentZoneId: dto.parentZoneId ?? null,
        name: dto.name,
        kind: dto.kind,
        antiPassback: dto.antiPassback ?? 'off',
        interlockGroup: dto.interlockGroup ?? null,
        twoPersonWindowSeconds: dto.twoPersonWindowSeconds ?? null,
        lockdown: false,
        credentialPolicy: dto.credentialPolicy ?? DEFAULT_CREDENTIAL_POLICY,
        createdAt: this.clock.nowMs(),
      };
      await m.insert(ZoneEntity, z);
      return z;
    });
    this.changes.emit({ kind: 'zone', id: e.id, op: 'created' });
    return zoneView(e);
  }

  async updateZone(id: string, dto: UpdateZoneDto): Promise<ZoneView> {
    const e = await this.writes.transaction(async (m) => {
      const z = await this.mustGetZone(id, m);
      if (dto.name !== undefined) z.name = dto.name;
      if (dto.antiPassback !== undefined) z.antiPassback = dto.antiPassback;
      if (dto.interlockGroup !== undefined) z.interlockGroup = dto.interlockGroup;
      if (dto.twoPersonWindowSeconds !== undefined) z.twoPersonWindowSeconds = dto.twoPersonWindowSeconds;
      if (dto.lockdown !== undefined) z.lockdown = dto.lockdown;
      if (dto.credentialPolicy !== undefined) z.credentialPolicy = dto.credentialPolicy;
      await m.save(ZoneEntity, z);
      return z;
    });
    this.changes.emit({ kind: 'zone', id, op: 'updated' });
    return zoneView(e);
  }

  async getZone(id: string): Promise<ZoneView> {
    return zoneView(await this.mustGetZone(id));
  }

  listZones(q: ZoneQueryDto): Promise<Page<ZoneView>> {
    const qb = this.ds.getRepository(ZoneEntity).createQueryBuilder('z');
    if (q.siteId) qb.andWhere('z.siteId = :siteId', { siteId: q.siteId });
    if (q.kind) qb.andWhere('z.kind = :kind', { kind: q.kind });
    return pageById(qb, 'z', q, zoneView);
  }

  async deleteZone(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetZone(id, m);
      await assertUnreferenced(m, 'the zone', [
        { entity: ZoneEntity, where: { parentZoneId: id }, label: 'child zones' },
        { entity: DoorEntity, where: { zoneId: id }, label: 'doors' },
        { junction: 'access_level_zone', column: 'zone_id', id, label: 'access levels' },
      ]);
      await m.delete(ZoneEntity, { id });
    });
    this.changes.emit({ kind: 'zone', id, op: 'deleted' });
  }

  async mustGetSite(id: string, m: EntityManager = this.ds.manager): Promise<SiteEntity> {
    const s = await m.findOne(SiteEntity, { where: { id } });
    if (!s) throw new NotFoundError('Site', id);
    return s;
  }

  async mustGetZone(id: string, m: EntityManager = this.ds.manager): Promise<ZoneEntity> {
    const z = await m.findOne(ZoneEntity, { where: { id } });
    if (!z) throw new NotFoundError('Zone', id);
    return z;
  }
}
