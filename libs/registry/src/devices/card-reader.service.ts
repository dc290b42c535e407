import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { ConflictError, isoOrNull, NotFoundError, type Page } from '@acs/http';
import { CardReaderEntity, DoorEntity, OsdpBusEntity, ReaderEntity, SiteEntity, type CardReaderSecureMode, type ReaderRole } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { pageById } from '../common/paging.js';
import { SYSTEM_SCOPE } from '../common/personal-data.js';
import { assertUnreferenced } from '../common/references.js';
import { RegistryChanges } from '../common/registry-changes.js';
import type {
  CardReaderQueryDto,
  CardReaderView,
  CreateCardReaderDto,
  CreateOsdpBusDto,
  OsdpBusQueryDto,
  OsdpBusView,
  UpdateCardReaderDto,
  UpdateOsdpBusDto,
} from './card-reader.dto.js';

const busView = (b: OsdpBusEntity): OsdpBusView => ({ id: b.id, siteId: b.siteId, name: b.name, transport: b.transport, host: b.host, baudRate: b.baudRate });
const cardReaderView = (r: CardReaderEntity): CardReaderView => ({
  id: r.id,
  siteId: r.siteId,
  busId: r.busId,
  name: r.name,
  address: r.address,
  role: r.role,
  secureMode: r.secureMode,
  installMode: r.installMode,
  keySet: r.scbkCt !== null,
  keySetAt: isoOrNull(r.scbkSetAt),
});

/** What the card fleet needs to open a bus and its readers. */
export interface FleetBus {
  id: string;
  siteId: string;
  transport: string;
  baudRate: number;
  readers: Array<{ id: string; siteId: string; name: string; address: number; role: ReaderRole; secureMode: CardReaderSecureMode; installMode: boolean }>;
}

/** AAD of a card reader's SCBK ciphertext: a key copied to another row does not decrypt. */
const scbkAad = (id: string) => `card_reader:${id}:scbk`;

/** OSDP buses and the card readers on them (issue 17). */
@Injectable()
export class CardReaderService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly keys: KeyService,
    private readonly changes: RegistryChanges,
  ) {}

  // ----- buses -----

  async createBus(dto: CreateOsdpBusDto): Promise<OsdpBusView> {
    const b = await this.writes.transaction(async (m) => {
      if (!(await m.exists(SiteEntity, { where: { id: dto.siteId } }))) throw new NotFoundError('Site', dto.siteId);
      const e: OsdpBusEntity = {
        id: newId(),
        siteId: dto.siteId,
        name: dto.name,
        transport: dto.transport,
        host: dto.host ?? 'default',
        baudRate: dto.baudRate ?? 9600,
        createdAt: this.clock.nowMs(),
      };
      await assertTransportFree(m, e);
      await m.insert(OsdpBusEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'osdp_bus', id: b.id, op: 'created' });
    return busView(b);
  }

  async updateBus(id: string, dto: UpdateOsdpBusDto): Promise<OsdpBusView> {
    const b = await this.writes.transaction(async (m) => {
      const e = await this.mustGetBus(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      if (dto.baudRate !== undefined) e.baudRate = dto.baudRate;
      if ((dto.host !== undefined && dto.host !== e.host) || (dto.transport !== undefined && dto.transport !== e.transport)) {
        e.host = dto.host ?? e.host;
        e.transport = dto.transport ?? e.transport;
        await assertTransportFree(m, e);
      }
      await m.save(OsdpBusEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'osdp_bus', id, op: 'updated' });
    return busView(b);
  }

  async getBus(id: string): Promise<OsdpBusView> {
    return busView(await this.mustGetBus(id));
  }

  listBuses(q: OsdpBusQueryDto): Promise<Page<OsdpBusView>> {
    const qb = this.ds.getRepository(OsdpBusEntity).createQueryBuilder('b');
    if (q.siteId) qb.andWhere('b.siteId = :siteId', { siteId: q.siteId });
    return pageById(qb, 'b', q, busView);
  }

  async deleteBus(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetBus(id, m);
      await assertUnreferenced(m, 'the bus', [{ entity: CardReaderEntity, where: { busId: id }, label: 'card readers' }]);
      await m.delete(OsdpBusEntity, { id });
    });
    this.changes.emit({ kind: 'osdp_bus', id, op: 'deleted' });
  }

  // ----- card readers -----

  async createCardReader(dto: CreateCardReaderDto): Promise<CardReaderView> {
    const r = await this.writes.transaction(async (m) => {
      const bus = await this.mustGetBus(dto.busId, m);
      await assertAddressFree(m, bus.id, dto.address);
      const e: CardReaderEntity = {
        id: newId(),
        siteId: bus.siteId,
        busId: bus.id,
        name: dto.name,
        address: dto.address,
        role: dto.role,
        secureMode: dto.secureMode ?? 'required',
        installMode: dto.installMode ?? true,
        scbkCt: null,
        scbkSetAt: null,
        createdAt: this.clock.nowMs(),
      };
      await m.insert(CardReaderEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'card_reader', id: r.id, op: 'created' });
    return cardReaderView(r);
  }

  async updateCardReader(id: string, dto: UpdateCardReaderDto): Promise<CardReaderView> {
    const r = await this.writes.transaction(async (m) => {
      const e = await this.mustGetCardReader(id, m);
      if (dto.name !== undefined) e.name = dto.name;
      if (dto.secureMode !== undefined) e.secureMode = dto.secureMode;
      if (dto.address !== undefined && dto.address !== e.address) {
        await assertAddressFree(m, e.busId, dto.address);
        e.address = dto.address;
      }
      await m.save(CardReaderEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'card_reader', id, op: 'updated' });
    return cardReaderView(r);
  }

  /**
   * Install mode: the next Secure Channel set-up may use the public default key (SCBK-D), and
   * the server then gives the reader a new key of its own. For a new reader, or one reset to
   * factory settings; the current key stays valid until the new one is set.
   */
  async setInstallMode(id: string, on: boolean): Promise<CardReaderView> {
    const r = await this.writes.transaction(async (m) => {
      const e = await this.mustGetCardReader(id, m);
      e.installMode = on;
      await m.update(CardReaderEntity, { id }, { installMode: on });
      return e;
    });
    this.changes.emit({ kind: 'card_reader', id, op: 'updated' });
    return cardReaderView(r);
  }

  async getCardReader(id: string): Promise<CardReaderView> {
    return cardReaderView(await this.mustGetCardReader(id));
  }

  listCardReaders(q: CardReaderQueryDto): Promise<Page<CardReaderView>> {
    const qb = this.ds.getRepository(CardReaderEntity).createQueryBuilder('r');
    if (q.siteId) qb.andWhere('r.siteId = :siteId', { siteId: q.siteId });
    if (q.busId) qb.andWhere('r.busId = :busId', { busId: q.busId });
    if (q.role) qb.andWhere('r.role = :role', { role: q.role });
    return pageById(qb, 'r', q, cardReaderView);
  }

  async deleteCardReader(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGetCardReader(id, m);
      await assertUnreferenced(m, 'the card reader', [{ entity: DoorEntity, where: [{ entryCardReaderId: id }, { exitCardReaderId: id }], label: 'doors' }]);
      await m.delete(CardReaderEntity, { id });
    });
    this.changes.emit({ kind: 'card_reader', id, op: 'deleted' });
  }

  /**
   * The buses one instance opens, each with its readers: what the card fleet loads on every
   * registry change. No key material: the fleet asks `readerKey` at each Secure Channel set-up.
   */
  async busesOnHost(host: string): Promise<FleetBus[]> {
    const buses = await this.ds.getRepository(OsdpBusEntity).find({ where: { host }, order: { id: 'ASC' } });
    if (buses.length === 0) return [];
    const readers = await this.ds.getRepository(CardReaderEntity).find({ order: { address: 'ASC' } });
    return buses.map((b) => ({
      id: b.id,
      siteId: b.siteId,
      transport: b.transport,
      baudRate: b.baudRate,
      readers: readers
        .filter((r) => r.busId === b.id)
        .map((r) => ({ id: r.id, siteId: r.siteId, name: r.name, address: r.address, role: r.role, secureMode: r.secureMode, installMode: r.installMode })),
    }));
  }

  /** Every card reader with its bus's host, for the views of readers on other instances. */
  async allCardReaders(): Promise<Array<{ id: string; siteId: string; busId: string; name: string; address: number; role: ReaderRole; host: string }>> {
    const [buses, readers] = await Promise.all([
      this.ds.getRepository(OsdpBusEntity).find({ select: { id: true, host: true } }),
      this.ds.getRepository(CardReaderEntity).find({ order: { name: 'ASC' } }),
    ]);
    const hostOf = new Map(buses.map((b) => [b.id, b.host]));
    return readers.map((r) => ({
      id: r.id,
      siteId: r.siteId,
      busId: r.busId,
      name: r.name,
      address: r.address,
      role: r.role,
      host: hostOf.get(r.busId) ?? 'default',
    }));
  }

  // ----- Secure Channel keys, for the card fleet only: never through the API -----

  /** The reader's own SCBK, or undefined while it has none. */
  async readerKey(id: string): Promise<Uint8Array | undefined> {
    const r = await this.ds.getRepository(CardReaderEntity).findOne({ where: { id }, select: { id: true, scbkCt: true } });
    if (!r?.scbkCt) return undefined;
    return Buffer.from(await this.keys.decryptString(r.scbkCt, scbkAad(id)), 'hex');
  }

  /** Stores the key the reader accepted with osdp_KEYSET and ends install mode. */
  async storeReaderKey(id: string, scbk: Uint8Array): Promise<void> {
    const scbkCt = await this.keys.encrypt(SYSTEM_SCOPE, Buffer.from(scbk).toString('hex'), scbkAad(id));
    await this.writes.transaction((m) => m.update(CardReaderEntity, { id }, { scbkCt, scbkSetAt: this.clock.nowMs(), installMode: false }));
    this.changes.emit({ kind: 'card_reader', id, op: 'updated' });
  }

  async mustGetBus(id: string, m: EntityManager = this.ds.manager): Promise<OsdpBusEntity> {
    const b = await m.findOne(OsdpBusEntity, { where: { id } });
    if (!b) throw new NotFoundError('OSDP bus', id);
    return b;
  }

  async mustGetCardReader(id: string, m: EntityManager = this.ds.manager): Promise<CardReaderEntity> {
    const r = await m.findOne(CardReaderEntity, { where: { id } });
    if (!r) throw new NotFoundError('Card reader', id);
    return r;
  }
}

/** One serial line, one protocol: a bus cannot share a port with a fingerprint reader or another bus. */
async function assertTransportFree(m: EntityManager, b: Pick<OsdpBusEntity, 'id' | 'host' | 'transport'>): Promise<void> {
  const bus = await m.findOne(OsdpBusEntity, { where: { host: b.host, transport: b.transport } });
  const reader = await m.exists(ReaderEntity, { where: { host: b.host, transport: b.transport } });
  if ((bus && bus.id !== b.id) || reader) throw new ConflictError('osdp_bus.transport_taken', 'another bus or reader on this host uses this transport');
}

async function assertAddressFree(m: EntityManager, busId: string, address: number): Promise<void> {
  if (await m.exists(CardReaderEntity, { where: { busId, address } })) {
    throw new ConflictError('card_reader.address_taken', 'another card reader on this bus has this address');
  }
}
