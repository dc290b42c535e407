import type { BadgeInDirection } from '@acs/access-rules';
import type { DeviceWiring, DeviceWiringService } from '@acs/registry';

/** What badge-in needs about a door besides the decision facts: where its readers and relay are. */
export interface DoorWiring {
  doorId: string;
  name: string;
  zoneId: string;
  siteId: string;
  controllerId: string | null;
  /** MQTT id of the controller (topic segment); null when the door has no controller. */
  mqttId: string | null;
  relayChannel: number;
  heldOpenSeconds: number;
  entryReaderId: string | null;
  exitReaderId: string | null;
  entryCardReaderId: string | null;
  exitCardReaderId: string | null;
}

export interface ReaderBinding {
  readerId: string;
  siteId: string;
  /** Null for a door reader no door names (yet): its fingers are recorded as unknown_door. */
  doorId: string | null;
  direction: BadgeInDirection;
}

export interface Topology {
  doors: ReadonlyMap<string, DoorWiring>;
  /** Door-role readers only: enrolment desks never run the identification loop. */
  readers: ReadonlyMap<string, ReaderBinding>;
  /** Door-role OSDP card readers, bound like the fingerprint readers. */
  cardReaders: ReadonlyMap<string, ReaderBinding>;
  /** `${mqttId}:${relayChannel}` -> door id. */
  byChannel: ReadonlyMap<string, string>;
  /** MQTT id -> controller row id and site. */
  controllers: ReadonlyMap<string, { controllerId: string; siteId: string }>;
}

export const channelKey = (mqttId: string, channel: number): string => `${mqttId}:${channel}`;

/**
 * The wiring as badge-in looks it up, built once per registry change next to the decision
 * snapshot, so the badge-in path reads no database.
 */
export function buildTopology({ doors, readers, controllers, cardReaders }: DeviceWiring): Topology {
  const mqttOf = new Map(controllers.map((c) => [c.id, c.mqttId]));
  const doorMap = new Map<string, DoorWiring>();
  const byChannel = new Map<string, string>();
  const readerMap = new Map<string, ReaderBinding>();
  for (const r of readers) {
    if (r.role === 'door') readerMap.set(r.id, { readerId: r.id, siteId: r.siteId, doorId: null, direction: 'entry' });
  }
  const cardMap = new Map<string, ReaderBinding>();
  for (const r of cardReaders) {
    if (r.role === 'door') cardMap.set(r.id, { readerId: r.id, siteId: r.siteId, doorId: null, direction: 'entry' });
  }
  for (const d of doors) {
    const mqttId = d.controllerId ? (mqttOf.get(d.controllerId) ?? null) : null;
    doorMap.set(d.id, {
      doorId: d.id,
      name: d.name,
      zoneId: d.zoneId,
      siteId: d.siteId,
      controllerId: d.controllerId,
      mqttId,
      relayChannel: d.relayChannel,
      heldOpenSeconds: d.heldOpenSeconds,
      entryReaderId: d.entryReaderId,
      exitReaderId: d.exitReaderId,
      entryCardReaderId: d.entryCardReaderId,
      exitCardReaderId: d.exitCardReaderId,
    });
    if (mqttId) byChannel.set(channelKey(mqttId, d.relayChannel), d.id);
    for (const [readerId, direction] of [
      [d.entryReaderId, 'entry'],
      [d.exitReaderId, 'exit'],
    ] as const) {
      const binding = readerId ? readerMap.get(readerId) : undefined;
      if (binding) Object.assign(binding, { doorId: d.id, direction });
    }
    for (const [readerId, direction] of [
      [d.entryCardReaderId, 'entry'],
      [d.exitCardReaderId, 'exit'],
    ] as const) {
      const binding = readerId ? cardMap.get(readerId) : undefined;
      if (binding) Object.assign(binding, { doorId: d.id, direction });
    }
  }
  return {
    doors: doorMap,
    readers: readerMap,
    cardReaders: cardMap,
    byChannel,
    controllers: new Map(controllers.map((c) => [c.mqttId, { controllerId: c.id, siteId: c.siteId }])),
  };
}

export async function loadTopology(devices: Pick<DeviceWiringService, 'wiring'>): Promise<Topology> {
  return buildTopology(await devices.wiring());
}
