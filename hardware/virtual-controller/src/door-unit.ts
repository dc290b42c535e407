import type { DoorAlarm, DoorMode, DoorState, EventType, ReplyCode } from '@acs/door-protocol';

export interface DoorTimings {
  /** Contact open longer than this raises held-open (modes that keep the door locked only). */
  heldOpenMs: number;
  /** How long a request-to-exit button press releases the strike. */
  rexUnlockMs: number;
}

export type DoorEventSink = (type: EventType, door: number, detail?: string) => void;

/**
 * One door of the simulated controller: a lock relay, a door contact and an exit button.
 *
 * The relay is released while a timed unlock (command or exit button) runs, or permanently in
 * held-unlocked and emergency-release. Forced-open and held-open come from the door's own
 * state, not from the server: an opening contact with the strike locked is forced, a contact open
 * past `heldOpenMs` is held open.
 */
export class DoorUnit {
  private mode: DoorMode = 'normal';
  private open = false;
  private alarm: DoorAlarm = 'none';
  private timedUnlock?: NodeJS.Timeout;
  private heldTimer?: NodeJS.Timeout;
  private released = false;
  relayActivations = 0;

  constructor(
    readonly door: number,
    private readonly timings: DoorTimings,
    private readonly emit: DoorEventSink,
  ) {}

  state(): DoorState {
    return { door: this.door, locked: !this.released, open: this.open, mode: this.mode, alarm: this.alarm };
  }

  /** Timed unlock from the server. */
  unlock(durationMs: number): { ok: true } | { ok: false; code: ReplyCode; reason: string } {
    if (this.mode === 'locked-down') return { ok: false, code: 'mode-forbids', reason: 'door is locked down' };
    if (this.mode !== 'normal') return { ok: true }; // already released by the mode
    this.startTimedUnlock(durationMs);
    return { ok: true };
  }

  /** Ends a timed unlock early. */
  lock(): { ok: true } | { ok: false; code: ReplyCode; reason: string } {
    if (this.mode === 'held-unlocked' || this.mode === 'emergency-release') {
      return { ok: false, code: 'mode-forbids', reason: `door is in ${this.mode}; set mode normal first` };
    }
    this.clearTimedUnlock();
    this.setRelay(false);
    return { ok: true };
  }

  setMode(mode: DoorMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.emit('mode-changed', this.door, mode);
    if (mode === 'held-unlocked' || mode === 'emergency-release') {
      this.clearTimedUnlock();
      this.setRelay(true);
      this.clearHeldTimer();
    } else {
      if (mode === 'locked-down') this.clearTimedUnlock();
      if (!this.timedUnlock) this.setRelay(false);
      if (this.open) this.startHeldTimer();
    }
  }

  /**
   * Exit button. Free egress is a life-safety requirement, so it releases the strike in every
   * mode, locked-down included; lockdown keeps people out, not in.
   */
  pressExit(): void {
    this.emit('request-to-exit', this.door);
    if (this.mode === 'held-unlocked' || this.mode === 'emergency-release') return;
    this.startTimedUnlock(this.timings.rexUnlockMs);
  }

  contactOpen(): void {
    if (this.open) return;
    this.open = true;
    if (!this.released) {
      this.alarm = 'forced-open';
      this.emit('forced-open', this.door);
    } else {
      this.emit('opened', this.door);
    }
    this.startHeldTimer();
  }

  contactClose(): void {
    if (!this.open) return;
    this.open = false;
    this.alarm = 'none';
    this.clearHeldTimer();
    this.emit('closed', this.door);
  }

  dispose(): void {
    this.clearTimedUnlock();
    this.clearHeldTimer();
  }

  private startTimedUnlock(ms: number): void {
    this.clearTimedUnlock();
    this.setRelay(true);
    this.timedUnlock = setTimeout(() => {
      this.timedUnlock = undefined;
      if (this.mode === 'normal' || this.mode === 'locked-down') this.setRelay(false);
    }, ms);
  }

  private clearTimedUnlock(): void {
    if (this.timedUnlock) clearTimeout(this.timedUnlock);
    this.timedUnlock = undefined;
  }

  private startHeldTimer(): void {
    this.clearHeldTimer();
    if (!this.open || this.mode === 'held-unlocked' || this.mode === 'emergency-release') return;
    this.heldTimer = setTimeout(() => {
      this.heldTimer = undefined;
      if (!this.open) return;
      this.alarm = 'held-open';
      this.emit('held-open', this.door);
    }, this.timings.heldOpenMs);
  }

  private clearHeldTimer(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
  }

  private setRelay(released: boolean): void {
    if (released === this.released) return;
    this.released = released;
    if (released) this.relayActivations++;
    this.emit(released ? 'unlocked' : 'locked', this.door);
  }
}
