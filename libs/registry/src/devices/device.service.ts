import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { KeyService, mosquittoPasswordHash } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, iso, NotFoundError, type Page } from '@acs/http';
import { ControllerEntity, DoorEntity, ReaderEntity, SiteEntity, ZoneEntity, type ReaderModel, type ReaderRole } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { mqttIdReservedBy } from './mqtt-id.js';
import { pageById } from '../common/paging.js';
import { SYSTEM_SCOPE } from '../common/personal-data.js';
import { assertUnreferenced } from '../common/references.js';
import { RegistryChanges } from '../common/registry-changes.js';
import { CapacityGuard } from '../access/capacity.guard.js';
import { cardReaderHosts } from './card-reader-wiring.js';
import type {
  ControllerSecretsView,
  ControllerView,
  CreateControllerDto,
  CreateDoorDto,
  CreateReaderDto,
  DeviceQueryDto,
  DoorQueryDto,
  DoorView,
  ReaderQueryDto,
  ReaderView,
  UpdateControllerDto,
  UpdateDoorDto,
  UpdateReaderDto,
} from './device.dto.js';

/** Library sizes to plan with until a device reports its own (docs/r503-protocol.md §Library capacity). */
export const DEFAULT_CAPACITY: Record<ReaderModel, number> = { R30x: 1000, R50x: 200, AS608: 300 };

const readerView = (r: ReaderEntity): ReaderView => ({
  id: r.id,
  siteId: r.siteId,
  name: r.name,
  model: r.model,
  transport: r.transport,
  host: r.host,
  failoverGroup: r.failoverGroup,
  address: r.address.toString(16).toUpperCase().padStart(8, '0'),
  role: r.role,
  capacity: r.capacity,
  declaredCapacity: r.declaredCapacity,
});
const controllerView = (c: ControllerEntity): ControllerView => ({
  id: c.id,
  siteId: c.siteId,
  name: c.name,
  mqttId: c.mqttId,
  host: c.host,
  failoverGroup: c.failoverGroup,
  secretsRotatedAt: iso(c.secretsRotatedAt),
});
const doorView = (d: DoorEntity): DoorView => ({
  id: d.id,
  zoneId: d.zoneId,
  name: d.name,
  entryReaderId: d.entryReaderId,
  exitReaderId: d.exitReaderId,
  controllerId: d.controllerId,
  relayChannel: d.relayChannel,
  heldOpenSeconds: d.heldOpenSeconds,
  failMode: d.failMode,
  entryCardReaderId: d.entryCardReaderId,
  exitCardReaderId: d.exitCardReaderId,
  credentialPolicy: d.credentialPolicy,
});

/** Where a device is served: its host, and the failover group it may move within. */
const placement = (d: { host: string; failoverGroup: string | null }): string => `${d.host}|${d.failoverGroup ?? ''}`;

/**
 * Only a reader reached over the network can fail over: a serial port is wired to one machine
 * (another instance could not open it), so a failover group there would promise what cannot be.
 */
function readerFailoverGroup(transport: string, group: string | null): string | null {
  if (group !== null && !transport.startsWith('tcp://'))
    throw new DomainError('reader.failover_needs_network', 'only a reader behind a serial device server (tcp://) can have a failover group', 422);
  return group;
}

async function assertSite(m: EntityManager, siteId: string): Promise<void> {
  if (!(await m.exists(SiteEntity, { where: { id: siteId } }))) throw new NotFoundError('Site', siteId);
}

@Injectable()
export class DeviceService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly keys: KeyService,
    private readonly capacity: CapacityGuard,
    private readonly changes: RegistryChanges,
    private readonly config: AppConfig,
  ) {}

  // ----- readers -----

  async createReader(dto: CreateReaderDto): Promise<ReaderView> {
    const id = newId();
    const r = await this.writes.transaction(async (m) => {
      await assertSite(m, dto.siteId);
      const host = dto.host ?? 'default';
      if (await m.exists(ReaderEntity, { where: { transport: dto.transport, host } })) {
        throw new ConflictError('reader.transport_taken', 'another reader on this host uses this transport');
      }
      const e: ReaderEntity = {
        id,
        siteId: dto.siteId,
        name: dto.name,
        model: dto.model,
        transport: dto.transport,
        host,
        failoverGroup: readerFailoverGroup(dto.transport, dto.failoverGroup ?? null),
        address: parseInt(dto.address ?? 'FFFFFFFF', 16),
        passwordCt: await this.keys.encrypt(SYSTEM_SCOPE, dto.password ?? '00000000', `reader:${id}:password`),
        role: dto.role,
        capacity: null,
        declaredCapacity: dto.declaredCapacity ?? DEFAULT_CAPACITY[dto.model],
        createdAt: this.clock.nowMs(),
      };
      await m.insert(ReaderEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'reader', id, op: 'created' });
    return readerView(r);
  }

  async updateReader(id: string, dto: UpdateReaderDto): Promise<ReaderView> {
    const r = await this.writes.transaction(async (m) => {
      const e = await this.mustGetReader(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      const host = dto.host ?? e.host;
      const transport = dto.transport ?? e.transport;
      if (host !== e.host || transport !== e.transport) {
        if (await m.exists(ReaderEntity, { where: { transport, host } })) {
          throw new ConflictError('reader.transport_taken', 'another reader on this host uses this transport');
        }
        e.transport = transport;
        e.host = host;
      }
      e.failoverGroup = readerFailoverGroup(e.transport, dto.failoverGroup === undefined ? e.failoverGroup : dto.failoverGroup);
      if (dto.address !== undefined) e.address = parseInt(dto.address, 16);
      if (dto.password !== undefined) e.passwordCt = await this.keys.encrypt(SYSTEM_SCOPE, dto.password, `reader:${id}:password`);
      if (dto.declaredCapacity !== undefined) e.declaredCapacity = dto.declaredCapacity;
      await m.save(ReaderEntity, e);
      const door = await m.findOne(DoorEntity, { where: [{ entryReaderId: id }, { exitReaderId: id }] });
      if (door) await this.assertDoorWiring(m, door);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'reader', id, op: 'updated' });
    return readerView(r);
  }

  /** Called by the reader driver when the device reports its library size. */
  async recordReaderCapacity(id: string, capacity: number): Promise<void> {
    await this.writes.run(() => this.ds.getRepository(ReaderEntity).update({ id }, { capacity }));
    this.changes.emit({ kind: 'reader', id, op: 'updated' });
  }

  /** The module password in clear, for the driver only. Never returned by the API. */
  async readerPassword(id: string): Promise<string> {
    const r = await this.mustGetReader(id);
    return this.keys.decryptString(r.passwordCt, `reader:${id}:password`);
  }

  async getReader(id: string): Promise<ReaderView> {
    return readerView(await this.mustGetReader(id));
  }

  listReaders(q: ReaderQueryDto): Promise<Page<ReaderView>> {
    const qb = this.ds.getRepository(ReaderEntity).createQueryBuilder('r');
    if (q.siteId) qb.andWhere('r.siteId = :siteId', { siteId: q.siteId });
    if (q.role) qb.andWhere('r.role = :role', { role: q.role });
    return pageById(qb, 'r', q, readerView);
  }

  async deleteReader(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetReader(id, m);
      await assertUnreferenced(m, 'the reader', [{ entity: DoorEntity, where: [{ entryReaderId: id }, { exitReaderId: id }], label: 'doors' }]);
      await m.delete(ReaderEntity, { id });
    });
    this.changes.emit({ kind: 'reader', id, op: 'deleted' });
  }

  /** What a context that drives readers needs to route to one (its role, the instance it is wired to); null when there is no such reader. */
  async readerPlacement(id: string): Promise<{ role: ReaderRole; host: string } | null> {
    const r = await this.ds.getRepository(ReaderEntity).findOne({ where: { id }, select: { id: true, role: true, host: true } });
    return r ? { role: r.role, host: r.host } : null;
  }

  async mustGetReader(id: string, m: EntityManager = this.ds.manager): Promise<ReaderEntity> {
    const r = await m.findOne(ReaderEntity, { where: { id } });
    if (!r) throw new NotFoundError('Reader', id);
    return r;
  }

  // ----- door controllers -----

  async createController(dto: CreateControllerDto): Promise<ControllerSecretsView> {
    if (mqttIdReservedBy(dto.mqttId, this.config.MQTT_SERVER_USERNAME)) {
      throw new ConflictError(
        'controller.mqtt_id_reserved',
        `MQTT ids starting with ${this.config.MQTT_SERVER_USERNAME} are reserved for the server's own broker accounts`,
        { reservedPrefix: this.config.MQTT_SERVER_USERNAME },
      );
    }
    const id = newId();
    const secrets = this.newSecrets();
    const c = await this.writes.transaction(async (m) => {
      await assertSite(m, dto.siteId);
      if (await m.exists(ControllerEntity, { where: { mqttId: dto.mqttId } })) {
        throw new ConflictError('controller.mqtt_id_taken', 'another controller uses this MQTT id');
      }
      const now = this.clock.nowMs();
      const e: ControllerEntity = {
        id,
        siteId: dto.siteId,
        name: dto.name,
        mqttId: dto.mqttId,
        host: dto.host ?? 'default',
        failoverGroup: dto.failoverGroup ?? null,
        mqttPasswordHash: mosquittoPasswordHash(secrets.mqttPassword),
        signingSecretCt: await this.keys.encrypt(SYSTEM_SCOPE, secrets.signingSecret, `controller:${id}:signing_secret`),
        secretsRotatedAt: now,
        createdAt: now,
      };
      await m.insert(ControllerEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'controller', id, op: 'created' });
    return { id, controller: controllerView(c), mqttUsername: c.mqttId, ...secrets };
  }

  /** Rename, or move its events to another server instance (its doors' readers must move with it). */
  async updateController(id: string, dto: UpdateControllerDto): Promise<ControllerView> {
    const c = await this.writes.transaction(async (m) => {
      const e = await this.mustGetController(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      if (dto.host !== undefined) e.host = dto.host;
      if (dto.failoverGroup !== undefined) e.failoverGroup = dto.failoverGroup;
      await m.save(ControllerEntity, e);
      for (const door of await m.find(DoorEntity, { where: { controllerId: id } })) await this.assertDoorWiring(m, door);
      return e;
    });
    this.changes.emit({ kind: 'controller', id, op: 'updated' });
    return controllerView(c);
  }

  /** New broker password and signing secret, shown once; the old ones stop working. */
  async rotateControllerSecrets(id: string): Promise<ControllerSecretsView> {
    const secrets = this.newSecrets();
    const c = await this.writes.transaction(async (m) => {
      const e = await this.mustGetController(id, m);
      e.mqttPasswordHash = mosquittoPasswordHash(secrets.mqttPassword);
      e.signingSecretCt = await this.keys.encrypt(SYSTEM_SCOPE, secrets.signingSecret, `controller:${id}:signing_secret`);
      e.secretsRotatedAt = this.clock.nowMs();
      await m.save(ControllerEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'controller', id, op: 'updated' });
    return { id, controller: controllerView(c), mqttUsername: c.mqttId, ...secrets };
  }

  /** The signing secret in clear, for the door command service only. */
  async controllerSigningSecret(id: string): Promise<Buffer> {
    const c = await this.mustGetController(id);
    return Buffer.from(await this.keys.decryptString(c.signingSecretCt, `controller:${id}:signing_secret`), 'base64');
  }

  async getController(id: string): Promise<ControllerView> {
    return controllerView(await this.mustGetController(id));
  }

  listControllers(q: DeviceQueryDto): Promise<Page<ControllerView>> {
    const qb = this.ds.getRepository(ControllerEntity).createQueryBuilder('c');
    if (q.siteId) qb.andWhere('c.siteId = :siteId', { siteId: q.siteId });
    return pageById(qb, 'c', q, controllerView);
  }

  async deleteController(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetController(id, m);
      await assertUnreferenced(m, 'the controller', [{ entity: DoorEntity, where: { controllerId: id }, label: 'doors' }]);
      await m.delete(ControllerEntity, { id });
    });
    this.changes.emit({ kind: 'controller', id, op: 'deleted' });
  }

  async mustGetController(id: string, m: EntityManager = this.ds.manager): Promise<ControllerEntity> {
    const c = await m.findOne(ControllerEntity, { where: { id } });
    if (!c) throw new NotFoundError('Door controller', id);
    return c;
  }

  // ----- doors -----

  async createDoor(dto: CreateDoorDto): Promise<DoorView> {
    const id = newId();
    const d = await this.writes.transaction(async (m) => {
      const e: DoorEntity = {
        id,
        zoneId: dto.zoneId,
        name: dto.name,
        entryReaderId: dto.entryReaderId ?? null,
        exitReaderId: dto.exitReaderId ?? null,
        controllerId: dto.controllerId ?? null,
        relayChannel: dto.relayChannel ?? 1,
        heldOpenSeconds: dto.heldOpenSeconds ?? 30,
        failMode: dto.failMode ?? 'secure',
        entryCardReaderId: dto.entryCardReaderId ?? null,
        exitCardReaderId: dto.exitCardReaderId ?? null,
        credentialPolicy: dto.credentialPolicy ?? null,
        createdAt: this.clock.nowMs(),
      };
      await this.assertDoorWiring(m, e);
      await m.insert(DoorEntity, e);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'door', id, op: 'created' });
    return doorView(d);
  }

  async updateDoor(id: string, dto: UpdateDoorDto): Promise<DoorView> {
    const d = await this.writes.transaction(async (m) => {
      const e = await this.mustGetDoor(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      if (dto.entryReaderId !== undefined) e.entryReaderId = dto.entryReaderId;
      if (dto.exitReaderId !== undefined) e.exitReaderId = dto.exitReaderId;
      if (dto.controllerId !== undefined) e.controllerId = dto.controllerId;
      if (dto.relayChannel !== undefined) e.relayChannel = dto.relayChannel;
      if (dto.heldOpenSeconds !== undefined) e.heldOpenSeconds = dto.heldOpenSeconds;
      if (dto.failMode !== undefined) e.failMode = dto.failMode;
      if (dto.entryCardReaderId !== undefined) e.entryCardReaderId = dto.entryCardReaderId;
      if (dto.exitCardReaderId !== undefined) e.exitCardReaderId = dto.exitCardReaderId;
      if (dto.credentialPolicy !== undefined) e.credentialPolicy = dto.credentialPolicy;
      await this.assertDoorWiring(m, e);
      await m.save(DoorEntity, e);
      await this.capacity.assertFits(m);
      return e;
    });
    this.changes.emit({ kind: 'door', id, op: 'updated' });
    return doorView(d);
  }

  async getDoor(id: string): Promise<DoorView> {
    return doorView(await this.mustGetDoor(id));
  }

  listDoors(q: DoorQueryDto): Promise<Page<DoorView>> {
    const qb = this.ds.getRepository(DoorEntity).createQueryBuilder('d');
    if (q.zoneId) qb.andWhere('d.zoneId = :zoneId', { zoneId: q.zoneId });
    return pageById(qb, 'd', q, doorView);
  }

  async deleteDoor(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetDoor(id, m);
      await assertUnreferenced(m, 'the door', [{ junction: 'access_level_door', column: 'door_id', id, label: 'access levels' }]);
      await m.delete(DoorEntity, { id });
    });
    this.changes.emit({ kind: 'door', id, op: 'deleted' });
  }

  async mustGetDoor(id: string, m: EntityManager = this.ds.manager): Promise<DoorEntity> {
    const d = await m.findOne(DoorEntity, { where: { id } });
    if (!d) throw new NotFoundError('Door', id);
    return d;
  }

  /** Readers and controller must exist, sit at the door's site, and a reader serves one door. */
  private async assertDoorWiring(m: EntityManager, d: DoorEntity): Promise<void> {
    const zone = await m.findOne(ZoneEntity, { where: { id: d.zoneId } });
    if (!zone) throw new NotFoundError('Zone', d.zoneId);
    const hosts = new Set<string>();
    for (const [field, readerId] of [
      ['entryReaderId', d.entryReaderId],
      ['exitReaderId', d.exitReaderId],
    ] as const) {
      if (!readerId) continue;
      const r = await this.mustGetReader(readerId, m);
      hosts.add(placement(r));
      if (r.siteId !== zone.siteId) throw new DomainError('door.reader_other_site', `${field} is a reader of another site`);
      if (r.role !== 'door') throw new DomainError('door.reader_not_door_role', `${field} is an enrolment desk reader`);
      const other = await m.findOne(DoorEntity, { where: [{ entryReaderId: readerId }, { exitReaderId: readerId }] });
      if (other && other.id !== d.id) throw new ConflictError('door.reader_in_use', `${field} already serves another door`);
    }
    if (d.entryReaderId && d.entryReaderId === d.exitReaderId) {
      throw new DomainError('door.same_reader', 'entry and exit readers must differ');
    }
    // OSDP buses stay with their host (no failover group).
    for (const host of await cardReaderHosts(m, d, zone.siteId)) hosts.add(placement({ host, failoverGroup: null }));
    if (d.controllerId) {
      const c = await this.mustGetController(d.controllerId, m);
      if (c.siteId !== zone.siteId) throw new DomainError('door.controller_other_site', 'the controller belongs to another site');
      hosts.add(placement(c));
    }
    // One instance sees the whole door: the unlock its reader causes and the opening its controller
    // reports; with a failover group, the whole door moves together to the same instance.
    if (hosts.size > 1)
      throw new ConflictError('door.hosts_differ', "the door's readers and controller belong to different server instances or failover groups");
  }

  private newSecrets(): { mqttPassword: string; signingSecret: string } {
    return { mqttPassword: randomBytes(24).toString('base64url'), signingSecret: randomBytes(32).toString('base64') };
  }
}
