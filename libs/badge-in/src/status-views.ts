import type { RegistrySnapshot } from '@acs/access-rules';
import type { CardReaderState } from '@acs/card-fleet';
import type { DoorCommandService } from '@acs/door-control';
import type { ReaderManager } from '@acs/reader-fleet';
import type { DoorOverrideMode } from './entities.js';
import type { MonitorBus } from './monitor.js';
import type { ReaderLoops } from './reader-loops.js';
import type { Topology } from './topology.js';

/*
 * The console's status views over the badge-in engine's state: pure projections of the wiring
 * (topology), the loops' counters and the device edges, kept out of BadgeInService so that the
 * engine holds the state and this file says how it is shown.
 */

export interface ReaderLoopView {
  readerId: string;
  doorId: string | null;
  direction: 'entry' | 'exit';
  readerState: string;
  polls: number;
  badges: number;
  lastError: string | null;
}

export interface CardReaderStatusView {
  readerId: string;
  busId: string;
  siteId: string;
  name: string;
  role: 'door' | 'enrolment';
  address: number;
  doorId: string | null;
  direction: 'entry' | 'exit' | null;
  host: string;
  state: 'online' | 'offline' | 'untrusted' | 'other_instance' | 'disabled';
  secure: string;
  tamper: boolean;
  lastSeenAt: number | null;
}

export interface DoorStatusView {
  doorId: string;
  name: string;
  siteId: string;
  zoneId: string;
  controllerId: string | null;
  controllerStatus: string;
  relayChannel: number;
  open: boolean | null;
  locked: boolean | null;
  controllerMode: string | null;
  controllerAlarm: string | null;
  override: DoorOverrideMode | null;
  lockdown: boolean;
}

export interface CardReaderRow {
  id: string;
  siteId: string;
  busId: string;
  name: string;
  address: number;
  role: 'door' | 'enrolment';
  host: string;
}

type Readers = Pick<ReaderManager, 'has' | 'enabled' | 'stateOf'>;

export function readerViews(
  topology: Topology,
  loops: Pick<ReaderLoops, 'stats'>,
  readers: Readers,
  bus: Pick<MonitorBus, 'remoteReaderState'>,
): ReaderLoopView[] {
  return [...topology.readers.values()].map((b) => {
    const loop = loops.stats(b.readerId);
    return {
      readerId: b.readerId,
      doorId: b.doorId,
      direction: b.direction,
      // A reader wired to another instance: the state its host last announced.
      readerState: readers.has(b.readerId) || !readers.enabled ? readers.stateOf(b.readerId).state : (bus.remoteReaderState(b.readerId) ?? 'other_instance'),
      polls: loop?.polls ?? 0,
      badges: loop?.badges ?? 0,
      // A reader that never opened has no loop error: show why it is down instead.
      lastError: loop?.lastError ?? (readers.has(b.readerId) ? readers.stateOf(b.readerId).error : null),
    };
  });
}

/** A card reader's state: its bus state here, or where it is wired when another instance polls it. */
export function cardReaderState(fleetEnabled: boolean, local: CardReaderState | undefined): CardReaderStatusView['state'] {
  if (!fleetEnabled) return 'disabled';
  if (!local) return 'other_instance';
  if (!local.trusted) return 'untrusted';
  return local.online ? 'online' : 'offline';
}

export function cardReaderViews(
  rows: readonly CardReaderRow[],
  topology: Topology,
  fleetEnabled: boolean,
  local: readonly CardReaderState[],
): CardReaderStatusView[] {
  const byId = new Map(local.map((s) => [s.readerId, s]));
  return rows.map((r) => {
    const s = byId.get(r.id);
    const b = topology.cardReaders.get(r.id);
    return {
      readerId: r.id,
      busId: r.busId,
      siteId: r.siteId,
      name: r.name,
      role: r.role,
      address: r.address,
      doorId: b?.doorId ?? null,
      direction: b?.doorId ? b.direction : null,
      host: r.host,
      state: cardReaderState(fleetEnabled, s),
      secure: s?.secure ?? 'plain',
      tamper: s?.tamper ?? false,
      lastSeenAt: s?.lastSeenAt ?? null,
    };
  });
}

export function doorViews(
  topology: Topology,
  doors: Pick<DoorCommandService, 'doorState' | 'status'>,
  overrides: ReadonlyMap<string, DoorOverrideMode>,
  snapshot: RegistrySnapshot | null,
): DoorStatusView[] {
  return [...topology.doors.values()].map((d) => {
    const state = d.mqttId ? doors.doorState(d.mqttId, d.relayChannel) : undefined;
    return {
      doorId: d.doorId,
      name: d.name,
      siteId: d.siteId,
      zoneId: d.zoneId,
      controllerId: d.controllerId,
      controllerStatus: d.mqttId ? doors.status(d.mqttId) : 'none',
      relayChannel: d.relayChannel,
      open: state?.open ?? null,
      locked: state?.locked ?? null,
      controllerMode: state?.mode ?? null,
      controllerAlarm: state?.alarm ?? null,
      override: overrides.get(d.doorId) ?? null,
      lockdown: snapshot?.zones.get(d.zoneId)?.lockdown ?? false,
    };
  });
}
