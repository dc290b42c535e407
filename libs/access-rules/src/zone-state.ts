/**
 * The live state badge-in decisions read besides the registry: where people are (anti-passback),
 * which doors are open or unlocked (interlock), who is waiting for a second person (two-person
 * rule). In memory, no I/O, and every question and change carries its instant, so a test (or a
 * replay of the access log after a restart) gets the same answers for the same sequence.
 *
 * The badge-in service owns one instance per server, calls `decideBadgeIn` with it as the view,
 * then `applyDecision` with the result, and `applyDoorEvent` for every door event from the
 * controllers. Calls must be serialised (one decision at a time), which a single Node process
 * gives for free as long as decide and apply run in the same tick.
 *
 * Anti-passback presence is per (zone, person): the side of the zone the person was last seen
 * passing to, by a granted entry (inside) or exit (outside) at a door of that zone. It is
 * recorded for every zone, so switching anti-passback on takes effect with what is already known.
 * It counts from the grant, not from the door sensor (BioStar's default; "entry-confirmed" APB
 * would need the opened event correlated to the person).
 *
 * Forgiveness: a recorded passage older than `antiPassbackResetMinutes` is forgotten, as with
 * BioStar's APB reset time (0 = never). Someone who left by the exit button or tailgated, and
 * is now blocked by hard anti-passback, is let through again once that time has passed, or at
 * once when staff call `forgiveAntiPassback`.
 *
 * Interlock: a door is busy while its sensor says open, while its relay says unlocked, and for
 * `unlockGraceMs` after a grant until the controller reports its relay (the unlock command is
 * still in flight, and a second door granted in that gap would defeat the mantrap). A
 * controller that never answers therefore blocks its group for at most the grace period.
 * Door events older than the last applied event of the same kind (sensor or relay) are ignored,
 * so a redelivered MQTT message cannot reopen a closed door.
 */
import { MAX_ESCORT_WINDOW_SECONDS } from './escort.js';
import type { Instant } from './model.js';

export type PresenceSide = 'inside' | 'outside';

export const DOOR_EVENT_KINDS = ['opened', 'closed', 'unlocked', 'locked'] as const;
export type DoorEventKind = (typeof DOOR_EVENT_KINDS)[number];

export interface DoorEvent {
  doorId: string;
  kind: DoorEventKind;
  at: Instant;
}

/** The first person of a two-person entry, waiting at a door. */
export interface PendingTwoPerson {
  personId: string;
  doorId: string;
  since: Instant;
  /** Exclusive: a second person at exactly this instant is too late. */
  expiresAt: Instant;
}

export interface DoorStatus {
  open: boolean;
  unlocked: boolean;
  /** A grant's unlock not yet confirmed by the controller counts as unlocked until then. */
  grantPendingUntil: Instant | null;
}

/**
 * The part of a badge-in decision that changes the zone state (a BadgeInDecision is one).
 * Declared here, not imported from badge-in.ts, which reads this module's ZoneStateView: the two
 * modules then depend one way only.
 */
export interface ZoneStateChange {
  granted: boolean;
  reason: string;
  doorId: string;
  zoneId: string | null;
  personId: string | null;
  direction: 'entry' | 'exit';
  at: Instant;
  companionPersonId?: string;
  pendingUntil?: Instant;
}

/** What `decideBadgeIn` reads. Read-only, so a decision cannot change the state by accident. */
export interface ZoneStateView {
  /** Where the person was last seen relative to the zone; undefined when unknown or forgiven. */
  presenceOf(personId: string, zoneId: string, at: Instant): PresenceSide | undefined;
  /** Open, unlocked, or a grant's unlock in flight. */
  isDoorBusy(doorId: string, at: Instant): boolean;
  /** The person waiting at the door for a second one, if the wait has not expired. */
  pendingAt(doorId: string, at: Instant): PendingTwoPerson | undefined;
  /** When the person last entered through the door by a grant (an escort's host-first order); undefined when not within the escort windows' bound. */
  lastEntryAt(doorId: string, personId: string, at: Instant): Instant | undefined;
}

export interface ZoneStateOptions {
  /** Anti-passback reset: minutes after which a recorded passage is forgotten; 0 = never. */
  antiPassbackResetMinutes?: number;
  /** How long a granted door counts as unlocked when its controller reports nothing. */
  unlockGraceMs?: number;
}

/** A day: blocked people get in again the next day at the latest, without staff. */
export const DEFAULT_ANTI_PASSBACK_RESET_MINUTES = 1440;
/** Typical relay time (3-5 s) plus the command round trip, with margin. */
export const DEFAULT_UNLOCK_GRACE_MS = 15_000;
/** BioStar's upper bound for the reset time: a week. */
export const MAX_ANTI_PASSBACK_RESET_MINUTES = 10_080;

interface Passage {
  side: PresenceSide;
  at: Instant;
}

interface DoorRecord {
  open: boolean;
  sensorAt: Instant;
  unlocked: boolean;
  relayAt: Instant;
  grantAt: Instant;
  grantPendingUntil: Instant | null;
}

const MINUTE_MS = 60_000;
/** Entries older than the longest escort window cannot pair a visitor with their host. */
const ENTRY_MEMORY_MS = MAX_ESCORT_WINDOW_SECONDS * 1000;

export class ZoneState implements ZoneStateView {
  readonly antiPassbackResetMs: number;
  readonly unlockGraceMs: number;
  /** zone id -> person id -> last passage. */
  private readonly presence = new Map<string, Map<string, Passage>>();
  private readonly doors = new Map<string, DoorRecord>();
  private readonly pending = new Map<string, PendingTwoPerson>();
  /** door id -> person id -> last granted entry, kept for the longest escort window (escort.ts). */
  private readonly entries = new Map<string, Map<string, Instant>>();

  constructor(options: ZoneStateOptions = {}) {
    const reset = options.antiPassbackResetMinutes ?? DEFAULT_ANTI_PASSBACK_RESET_MINUTES;
    if (!Number.isInteger(reset) || reset < 0 || reset > MAX_ANTI_PASSBACK_RESET_MINUTES) {
      throw new RangeError(`antiPassbackResetMinutes must be an integer 0..${MAX_ANTI_PASSBACK_RESET_MINUTES}, got ${reset}`);
    }
    const grace = options.unlockGraceMs ?? DEFAULT_UNLOCK_GRACE_MS;
    if (!Number.isFinite(grace) || grace < 0) throw new RangeError(`unlockGraceMs must be >= 0, got ${grace}`);
    this.antiPassbackResetMs = reset * MINUTE_MS;
    this.unlockGraceMs = grace;
  }

  presenceOf(personId: string, zoneId: string, at: Instant): PresenceSide | undefined {
    const passage = this.presence.get(zoneId)?.get(personId);
    if (!passage || this.forgotten(passage, at)) return undefined;
    return passage.side;
  }

  /** Also for restoring presence from the access log after a restart (oldest first). */
  recordPassage(personId: string, zoneId: string, side: PresenceSide, at: Instant): void {
    let zone = this.presence.get(zoneId);
    if (!zone) this.presence.set(zoneId, (zone = new Map()));
    zone.set(personId, { side, at });
  }

  /** Staff override: forget the person's passages, in one zone or in all. */
  forgiveAntiPassback(personId: string, zoneId?: string): void {
    if (zoneId !== undefined) {
      this.presence.get(zoneId)?.delete(personId);
      return;
    }
    for (const zone of this.presence.values()) zone.delete(personId);
  }

  isDoorBusy(doorId: string, at: Instant): boolean {
    const door = this.doors.get(doorId);
    if (!door) return false;
    return door.open || door.unlocked || (door.grantPendingUntil !== null && at < door.grantPendingUntil);
  }

  doorStatus(doorId: string, at: Instant): DoorStatus {
    const door = this.doors.get(doorId);
    if (!door) return { open: false, unlocked: false, grantPendingUntil: null };
    const pending = door.grantPendingUntil !== null && at < door.grantPendingUntil ? door.grantPendingUntil : null;
    return { open: door.open, unlocked: door.unlocked, grantPendingUntil: pending };
  }

  pendingAt(doorId: string, at: Instant): PendingTwoPerson | undefined {
    const pending = this.pending.get(doorId);
    return pending && at < pending.expiresAt ? pending : undefined;
  }

  lastEntryAt(doorId: string, personId: string, at: Instant): Instant | undefined {
    const entered = this.entries.get(doorId)?.get(personId);
    return entered !== undefined && at - entered < ENTRY_MEMORY_MS ? entered : undefined;
  }

  /**
   * What a decision changes: a pending first person for `two_person_pending` (and a visitor
   * waiting for their host, `escort_pending`); for a grant, the
   * passage of the person (and of the companion of a two-person entry) and the door's unlock in
   * flight. Other denials change nothing.
   */
  applyDecision(decision: ZoneStateChange): void {
    const { personId, doorId, zoneId, at } = decision;
    if (!decision.granted) {
      const waits = decision.reason === 'two_person_pending' || decision.reason === 'escort_pending';
      if (waits && personId !== null && decision.pendingUntil !== undefined) {
        this.pending.set(doorId, { personId, doorId, since: at, expiresAt: decision.pendingUntil });
      }
      return;
    }
    if (zoneId !== null) {
      const side: PresenceSide = decision.direction === 'entry' ? 'inside' : 'outside';
      if (personId !== null) this.recordPassage(personId, zoneId, side, at);
      if (decision.companionPersonId !== undefined) this.recordPassage(decision.companionPersonId, zoneId, side, at);
    }
    if (decision.direction === 'entry') {
      let door = this.entries.get(doorId);
      if (!door) this.entries.set(doorId, (door = new Map()));
      if (personId !== null) door.set(personId, at);
      if (decision.companionPersonId !== undefined) door.set(decision.companionPersonId, at);
    }
    if (decision.reason === 'two_person_granted' || (decision.reason === 'escorted' && decision.companionPersonId !== undefined)) this.pending.delete(doorId);
    const door = this.door(doorId);
    door.grantAt = at;
    door.grantPendingUntil = at + this.unlockGraceMs;
  }

  applyDoorEvent(event: DoorEvent): void {
    const door = this.door(event.doorId);
    if (event.kind === 'opened' || event.kind === 'closed') {
      if (event.at < door.sensorAt) return;
      door.open = event.kind === 'opened';
      door.sensorAt = event.at;
      return;
    }
    if (event.at < door.relayAt) return;
    door.unlocked = event.kind === 'unlocked';
    door.relayAt = event.at;
    // The relay has spoken since the grant: from now on its own state says whether it is unlocked.
    if (event.at >= door.grantAt) door.grantPendingUntil = null;
  }

  /**
   * The door's full status as a controller reports it on (re)connect; replaces what events said,
   * whatever their instants, since a missed "closed" would otherwise block an interlock group.
   */
  setDoorStatus(doorId: string, status: { open: boolean; unlocked: boolean }, at: Instant): void {
    const door = this.door(doorId);
    door.open = status.open;
    door.unlocked = status.unlocked;
    door.sensorAt = at;
    door.relayAt = at;
    if (at >= door.grantAt) door.grantPendingUntil = null;
  }

  /** Drops what can no longer matter at `at` (forgotten passages, expired waits); returns how many. */
  prune(at: Instant): number {
    let dropped = 0;
    for (const [zoneId, zone] of this.presence) {
      for (const [personId, passage] of zone) {
        if (this.forgotten(passage, at)) {
          zone.delete(personId);
          dropped++;
        }
      }
      if (zone.size === 0) this.presence.delete(zoneId);
    }
    for (const [doorId, pending] of this.pending) {
      if (at >= pending.expiresAt) {
        this.pending.delete(doorId);
        dropped++;
      }
    }
    // Entries past the longest escort window are dropped too; not counted: they are the escort's
    // bookkeeping of a grant, not a passage or a wait.
    for (const [doorId, people] of this.entries) {
      for (const [personId, entered] of people) if (at - entered >= ENTRY_MEMORY_MS) people.delete(personId);
      if (people.size === 0) this.entries.delete(doorId);
    }
    // Door records stay: they are one per door, and their instants are what rejects a late redelivery.
    return dropped;
  }

  private forgotten(passage: Passage, at: Instant): boolean {
    return this.antiPassbackResetMs > 0 && at - passage.at >= this.antiPassbackResetMs;
  }

  private door(doorId: string): DoorRecord {
    let door = this.doors.get(doorId);
    if (!door) {
      door = {
        open: false,
        sensorAt: -Infinity,
        unlocked: false,
        relayAt: -Infinity,
        grantAt: -Infinity,
        grantPendingUntil: null,
      };
      this.doors.set(doorId, door);
    }
    return door;
  }
}
