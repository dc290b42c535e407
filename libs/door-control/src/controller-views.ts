import { DOOR_MODES, type DoorMode, type DoorState, type EventBody } from '@acs/door-protocol';
import type { ControllerStatus } from './door-command.types.js';

/** What a door is assumed to be before anything was heard of it. */
const UNKNOWN_DOOR = (door: number): DoorState => ({ door, locked: true, open: false, mode: 'normal', alarm: 'none' });

/** The door after an event, or undefined when the event type says nothing about door state. */
export function doorStateAfter(cur: DoorState, ev: Pick<EventBody, 'type' | 'detail'>): DoorState | undefined {
  const next = { ...cur };
  switch (ev.type) {
    case 'opened':
      next.open = true;
      break;
    case 'forced-open':
      next.open = true;
      next.alarm = 'forced-open';
      break;
    case 'held-open':
      next.alarm = 'held-open';
      break;
    case 'closed':
      next.open = false;
      next.alarm = 'none';
      break;
    case 'unlocked':
      next.locked = false;
      break;
    case 'locked':
      next.locked = true;
      break;
    case 'mode-changed':
      if (DOOR_MODES.includes(ev.detail as DoorMode)) next.mode = ev.detail as DoorMode;
      break;
    default:
      return undefined;
  }
  return next;
}

/**
 * Whether a status message replaces the one held. A will and the birth of the same connection
 * carry the same ts, and the will comes last; a will of an older connection arriving after a
 * newer birth carries an older ts and is ignored.
 */
export function statusSupersedes(held: { status: ControllerStatus; ts: number }, incoming: { status: 'online' | 'offline'; ts: number }): boolean {
  if (incoming.ts < held.ts) return false;
  return !(incoming.ts === held.ts && incoming.status === 'online' && held.status === 'offline');
}

interface ControllerView {
  status: ControllerStatus;
  statusTs: number;
  doors: Map<number, DoorState>;
  /** Controller ts of the newest information applied per door, so replayed old events cannot roll state back. */
  doorTs: Map<number, number>;
}

/**
 * What the server knows of each controller: its status and its doors, from retained status and
 * state messages, reply snapshots and events, each applied only when newer than what is held.
 */
export class ControllerViews {
  private readonly controllers = new Map<string, ControllerView>();

  constructor(
    /** Called with a copy whenever a door's state actually changes. */
    private readonly onDoorChange: (controllerId: string, state: DoorState) => void,
  ) {}

  status(controllerId: string): ControllerStatus {
    return this.controllers.get(controllerId)?.status ?? 'unknown';
  }

  doorState(controllerId: string, door: number): DoorState | undefined {
    const s = this.controllers.get(controllerId)?.doors.get(door);
    return s ? { ...s } : undefined;
  }

  doorStates(controllerId: string): DoorState[] {
    return [...(this.controllers.get(controllerId)?.doors.values() ?? [])].map((s) => ({ ...s })).sort((a, b) => a.door - b.door);
  }

  /** True when the controller's status changed. */
  applyStatus(controllerId: string, s: { status: 'online' | 'offline'; ts: number }): boolean {
    const view = this.view(controllerId);
    if (!statusSupersedes({ status: view.status, ts: view.statusTs }, s)) return false;
    view.statusTs = s.ts;
    if (view.status === s.status) return false;
    view.status = s.status;
    return true;
  }

  applySnapshot(controllerId: string, doors: DoorState[], ts: number): void {
    const view = this.view(controllerId);
    for (const d of doors) {
      if (ts < (view.doorTs.get(d.door) ?? 0)) continue;
      view.doorTs.set(d.door, ts);
      this.setDoor(view, controllerId, { ...d });
    }
  }

  applyEvent(controllerId: string, ev: EventBody): void {
    if (ev.door === undefined) return;
    const view = this.view(controllerId);
    if (ev.ts < (view.doorTs.get(ev.door) ?? 0)) return; // a replayed old event must not overwrite newer state
    const next = doorStateAfter(view.doors.get(ev.door) ?? UNKNOWN_DOOR(ev.door), ev);
    if (!next) return;
    view.doorTs.set(ev.door, ev.ts);
    this.setDoor(view, controllerId, next);
  }

  private view(controllerId: string): ControllerView {
    let v = this.controllers.get(controllerId);
    if (!v) {
      v = { status: 'unknown', statusTs: 0, doors: new Map(), doorTs: new Map() };
      this.controllers.set(controllerId, v);
    }
    return v;
  }

  private setDoor(view: ControllerView, controllerId: string, state: DoorState): void {
    const prev = view.doors.get(state.door);
    view.doors.set(state.door, state);
    if (!prev || prev.locked !== state.locked || prev.open !== state.open || prev.mode !== state.mode || prev.alarm !== state.alarm) {
      this.onDoorChange(controllerId, { ...state });
    }
  }
}
