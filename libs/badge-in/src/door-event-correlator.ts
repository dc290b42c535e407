import type { ZoneState } from '@acs/access-rules';
import type { AccessEventInput } from '@acs/access-log';
import type { Clock } from '@acs/clock';
import type { DoorEventRecord } from '@acs/door-control';
import type { AlarmService } from './alarm.service.js';
import type { FollowUps } from './follow-ups.js';
import type { MonitorBus } from './monitor.js';
import { channelKey, type DoorWiring, type Topology } from './topology.js';

interface ExpectedEntry {
  attemptId: string;
  customerId: string | null;
  personId: string | null;
  direction: 'entry' | 'exit';
  readerId: string;
  timer: NodeJS.Timeout;
  /** Replaced by another customer's grant: still ends with its own timer, never at the other grant. */
  superseded?: boolean;
}

export interface DoorEventCorrelatorDeps {
  topology: () => Topology;
  zoneState: ZoneState;
  alarms: Pick<AlarmService, 'raise'>;
  bus: Pick<MonitorBus, 'publish'>;
  followUps: Pick<FollowUps, 'record'>;
  clock: Clock;
  /** How long a confirmed unlock holds the strike open; an entry is expected within it (plus 1 s). */
  unlockMs: number;
  /** Work started by a timer (the server's held-open alarm), so shutdown can wait for it. */
  track: (p: Promise<unknown>) => void;
  logger: { error(message: string): void };
}

/**
 * The controllers' door events against what badge-in expects: after a confirmed unlock the door
 * should open (`entered`, else `not_entered` when the unlock time ends); a door open longer than
 * its own limit is held open; forced open and tamper raise their alarms; and zone state follows
 * the doors.
 */
export class DoorEventCorrelator {
  private readonly expected = new Map<string, ExpectedEntry>();
  private readonly heldTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: DoorEventCorrelatorDeps) {}

  /** After a confirmed unlock the door should open within the unlock time: `entered`, else `not_entered`. */
  expectEntry(door: DoorWiring, attemptId: string, event: AccessEventInput): void {
    const previous = this.expected.get(door.doorId);
    if (previous) {
      if (previous.customerId === event.customerId) {
        clearTimeout(previous.timer);
        this.deps.followUps.record(this.eventOf(door, previous), previous.attemptId, 'not_entered', 'granted');
      } else {
        // Closing it now would put the instant another tenant was admitted into this customer's
        // history and live stream: its not_entered comes when its own unlock window ends.
        previous.superseded = true;
      }
    }
    const entry: ExpectedEntry = {
      attemptId,
      customerId: event.customerId,
      personId: event.personId ?? null,
      direction: event.direction,
      readerId: event.readerId ?? '',
      timer: setTimeout(() => {
        if (this.expected.get(door.doorId)?.attemptId === attemptId) this.expected.delete(door.doorId);
        else if (!entry.superseded) return;
        this.deps.followUps.record(event, attemptId, 'not_entered', 'granted');
      }, this.deps.unlockMs + 1000),
    };
    entry.timer.unref();
    this.expected.set(door.doorId, entry);
  }

  async handle(e: DoorEventRecord): Promise<void> {
    const topology = this.deps.topology();
    const controller = topology.controllers.get(e.controllerId);
    const doorId = e.door !== undefined ? topology.byChannel.get(channelKey(e.controllerId, e.door)) : undefined;
    const door = doorId ? topology.doors.get(doorId) : undefined;
    const at = e.occurredAt.getTime();
    const { zoneState, alarms } = this.deps;
    if (door) this.deps.bus.publish({ type: 'door', doorId: door.doorId, siteId: door.siteId, zoneId: door.zoneId, event: e.type, at });
    switch (e.type) {
      case 'opened':
      case 'forced-open': {
        if (!door) return;
        zoneState.applyDoorEvent({ doorId: door.doorId, kind: 'opened', at });
        this.startHeldTimer(door);
        const expected = this.expected.get(door.doorId);
        if (expected && e.type === 'opened') {
          clearTimeout(expected.timer);
          this.expected.delete(door.doorId);
          this.deps.followUps.record(this.eventOf(door, expected), expected.attemptId, 'entered', 'granted');
          return;
        }
        // The controller says forced-open when the contact opens with the strike locked (no grant, no exit button).
        if (e.type === 'forced-open') {
          await alarms.raise({ kind: 'forced_open', siteId: door.siteId, zoneId: door.zoneId, doorId: door.doorId, controllerId: door.controllerId });
        }
        return;
      }
      case 'closed':
        if (!door) return;
        zoneState.applyDoorEvent({ doorId: door.doorId, kind: 'closed', at });
        clearTimeout(this.heldTimers.get(door.doorId));
        this.heldTimers.delete(door.doorId);
        return;
      case 'unlocked':
      case 'locked':
        if (door) zoneState.applyDoorEvent({ doorId: door.doorId, kind: e.type, at });
        return;
      case 'held-open':
        if (door) await this.raiseHeldOpen(door, 'controller');
        return;
      case 'tamper':
        if (!controller) return;
        await alarms.raise({
          kind: 'tamper',
          siteId: controller.siteId,
          doorId: door?.doorId ?? null,
          zoneId: door?.zoneId ?? null,
          controllerId: controller.controllerId,
          detail: e.detail ?? null,
        });
        return;
      default:
        return;
    }
  }

  stop(): void {
    for (const e of this.expected.values()) clearTimeout(e.timer);
    this.expected.clear();
    for (const t of this.heldTimers.values()) clearTimeout(t);
    this.heldTimers.clear();
  }

  /** The door's own limit (`heldOpenSeconds`), whatever the controller's firmware is set to. */
  private startHeldTimer(door: DoorWiring): void {
    clearTimeout(this.heldTimers.get(door.doorId));
    const timer = setTimeout(() => {
      this.heldTimers.delete(door.doorId);
      this.deps.track(this.raiseHeldOpen(door, 'server'));
    }, door.heldOpenSeconds * 1000);
    timer.unref();
    this.heldTimers.set(door.doorId, timer);
  }

  private async raiseHeldOpen(door: DoorWiring, by: string): Promise<void> {
    await this.deps.alarms
      .raise({
        kind: 'held_open',
        siteId: door.siteId,
        zoneId: door.zoneId,
        doorId: door.doorId,
        controllerId: door.controllerId,
        detail: `limit ${door.heldOpenSeconds}s (${by})`,
      })
      .catch((err: Error) => this.deps.logger.error(`held-open alarm not recorded: ${err.message}`));
  }

  private eventOf(door: DoorWiring, e: ExpectedEntry): AccessEventInput {
    return {
      customerId: e.customerId,
      personId: e.personId,
      siteId: door.siteId,
      zoneId: door.zoneId,
      doorId: door.doorId,
      readerId: e.readerId,
      direction: e.direction,
      result: 'granted',
      reason: 'entered',
      occurredAt: this.deps.clock.nowMs(),
    };
  }
}
