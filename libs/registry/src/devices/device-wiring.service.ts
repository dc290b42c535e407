import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CardReaderEntity } from '../entities/card-reader.entity.js';
import { ControllerEntity, DoorEntity, ReaderEntity } from '../entities/device.entity.js';

/** A door as the door edge and badge-in see it: where it is, its relay, its readers. */
export interface DoorWiringRow {
  id: string;
  name: string;
  zoneId: string;
  siteId: string;
  controllerId: string | null;
  relayChannel: number;
  heldOpenSeconds: number;
  entryReaderId: string | null;
  exitReaderId: string | null;
  entryCardReaderId: string | null;
  exitCardReaderId: string | null;
}

export interface DeviceWiring {
  doors: DoorWiringRow[];
  readers: Array<{ id: string; siteId: string; role: ReaderEntity['role'] }>;
  controllers: Array<{ id: string; siteId: string; mqttId: string }>;
  /** OSDP card readers, door and desk alike. */
  cardReaders: Array<{ id: string; siteId: string; role: CardReaderEntity['role'] }>;
}

/**
 * Read operations on the device tables for the libraries that act on devices (badge-in, the door
 * edge), so they never read the registry's entities themselves. Plain rows, nothing secret but
 * what a caller asks for by name (the broker login hash).
 */
@Injectable()
export class DeviceWiringService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Every door, reader and controller: what badge-in loads once per registry change. */
  async wiring(): Promise<DeviceWiring> {
    const m = this.ds.manager;
    const [doors, readers, controllers, cardReaders] = await Promise.all([
      m.find(DoorEntity, { relations: { zone: true } }),
      m.find(ReaderEntity, { select: { id: true, siteId: true, role: true } }),
      m.find(ControllerEntity, { select: { id: true, siteId: true, mqttId: true } }),
      m.find(CardReaderEntity, { select: { id: true, siteId: true, role: true } }),
    ]);
    return {
      doors: doors.map((d) => ({
        id: d.id,
        name: d.name,
        zoneId: d.zoneId,
        siteId: d.zone!.siteId,
        controllerId: d.controllerId,
        relayChannel: d.relayChannel,
        heldOpenSeconds: d.heldOpenSeconds,
        entryReaderId: d.entryReaderId,
        exitReaderId: d.exitReaderId,
        entryCardReaderId: d.entryCardReaderId,
        exitCardReaderId: d.exitCardReaderId,
      })),
      readers: readers.map((r) => ({ id: r.id, siteId: r.siteId, role: r.role })),
      controllers: controllers.map((c) => ({ id: c.id, siteId: c.siteId, mqttId: c.mqttId })),
      cardReaders: cardReaders.map((r) => ({ id: r.id, siteId: r.siteId, role: r.role })),
    };
  }

  /** The controller's broker login (Mosquitto-format password hash), by MQTT id. */
  async controllerLogin(mqttId: string): Promise<{ mqttId: string; mqttPasswordHash: string } | null> {
    const c = await this.ds.getRepository(ControllerEntity).findOne({ where: { mqttId }, select: { mqttId: true, mqttPasswordHash: true } });
    return c ? { mqttId: c.mqttId, mqttPasswordHash: c.mqttPasswordHash } : null;
  }

  /** Row id, hosting instance and failover group of the controller with this MQTT id. */
  async controllerByMqttId(mqttId: string): Promise<{ id: string; host: string; failoverGroup: string | null } | null> {
    const c = await this.ds.getRepository(ControllerEntity).findOne({ where: { mqttId }, select: { id: true, host: true, failoverGroup: true } });
    return c ? { id: c.id, host: c.host, failoverGroup: c.failoverGroup } : null;
  }

  /**
   * Every (preferred host, failover group) pair that has a reader or controller: each is one
   * unit of failover, leased as a whole so a door's readers and controller move together.
   */
  async failoverUnits(): Promise<Array<{ host: string; group: string }>> {
    const units = new Map<string, { host: string; group: string }>();
    for (const entity of [ReaderEntity, ControllerEntity] as const) {
      const rows = await this.ds
        .createQueryBuilder()
        .select('DISTINCT d.host', 'host')
        .addSelect('d.failover_group', 'failoverGroup')
        .from(entity, 'd')
        .where('d.failover_group IS NOT NULL')
        .getRawMany<{ host: string; failoverGroup: string }>();
      for (const r of rows) units.set(`${r.host}|${r.failoverGroup}`, { host: r.host, group: r.failoverGroup });
    }
    return [...units.values()];
  }
}
