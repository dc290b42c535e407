import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { EventType } from '@acs/door-protocol';
import { DoorUnit } from './door-unit.js';

describe('DoorUnit', () => {
  let events: string[];
  let door: DoorUnit;

  beforeEach(() => {
    jest.useFakeTimers();
    events = [];
    door = new DoorUnit(1, { heldOpenMs: 10_000, rexUnlockMs: 5_000 }, (type: EventType, _d, detail) => events.push(detail ? `${type}:${detail}` : type));
  });
  afterEach(() => {
    door.dispose();
    jest.useRealTimers();
  });

  it('releases for the commanded time, then relocks', () => {
    expect(door.unlock(3_000)).toEqual({ ok: true });
    expect(door.state()).toMatchObject({ locked: false });
    jest.advanceTimersByTime(2_999);
    expect(door.state().locked).toBe(false);
    jest.advanceTimersByTime(1);
    expect(door.state().locked).toBe(true);
    expect(events).toEqual(['unlocked', 'locked']);
    expect(door.relayActivations).toBe(1);
  });

  it('reports forced-open when the contact opens on a locked strike, then held-open', () => {
    door.contactOpen();
    expect(door.state()).toMatchObject({ open: true, alarm: 'forced-open' });
    jest.advanceTimersByTime(10_000);
    expect(door.state().alarm).toBe('held-open');
    door.contactClose();
    expect(door.state()).toMatchObject({ open: false, alarm: 'none' });
    expect(events).toEqual(['forced-open', 'held-open', 'closed']);
  });

  it('treats an opening during an unlock as normal, and a quick close as no alarm', () => {
    door.unlock(5_000);
    door.contactOpen();
    jest.advanceTimersByTime(9_999);
    door.contactClose();
    jest.advanceTimersByTime(10_000);
    expect(events).toEqual(['unlocked', 'opened', 'locked', 'closed']);
  });

  it('refuses unlocks in locked-down but still lets people out with the exit button', () => {
    door.setMode('locked-down');
    expect(door.unlock(1_000)).toMatchObject({ ok: false, code: 'mode-forbids' });
    door.pressExit();
    expect(door.state().locked).toBe(false);
    jest.advanceTimersByTime(5_000);
    expect(door.state().locked).toBe(true);
    expect(events).toEqual(['mode-changed:locked-down', 'request-to-exit', 'unlocked', 'locked']);
  });

  it('holds the strike released in held-unlocked and emergency-release, refusing lock', () => {
    door.setMode('emergency-release');
    expect(door.state()).toMatchObject({ locked: false, mode: 'emergency-release' });
    expect(door.lock()).toMatchObject({ ok: false, code: 'mode-forbids' });
    door.contactOpen();
    jest.advanceTimersByTime(60_000);
    expect(door.state().alarm).toBe('none'); // no held-open while the mode keeps it open
    door.setMode('normal');
    expect(door.state().locked).toBe(true);
    jest.advanceTimersByTime(10_000);
    expect(door.state().alarm).toBe('held-open');
  });

  it('ends a timed unlock early on lock', () => {
    door.unlock(60_000);
    expect(door.lock()).toEqual({ ok: true });
    expect(door.state().locked).toBe(true);
    expect(events).toEqual(['unlocked', 'locked']);
  });
});
