import { describe, expect, it } from '@jest/globals';
import type { DoorState, EventBody } from '@acs/door-protocol';
import { ControllerViews, doorStateAfter, statusSupersedes } from './controller-views.js';

const closedLocked: DoorState = { door: 1, locked: true, open: false, mode: 'normal', alarm: 'none' };

describe('doorStateAfter', () => {
  it.each<[EventBody['type'], string | undefined, Partial<DoorState> | undefined]>([
    ['opened', undefined, { open: true }],
    ['forced-open', undefined, { open: true, alarm: 'forced-open' }],
    ['held-open', undefined, { alarm: 'held-open' }],
    ['closed', undefined, { open: false, alarm: 'none' }],
    ['unlocked', undefined, { locked: false }],
    ['locked', undefined, { locked: true }],
    ['mode-changed', 'locked-down', { mode: 'locked-down' }],
    ['mode-changed', 'no-such-mode', {}],
    ['command-rejected', 'bad mac', undefined],
  ])('%s (%s)', (type, detail, change) => {
    const cur: DoorState = { ...closedLocked, open: type === 'closed', alarm: type === 'closed' ? 'held-open' : 'none' };
    expect(doorStateAfter(cur, { type, detail })).toEqual(change === undefined ? undefined : { ...cur, ...change });
  });
});

describe('statusSupersedes', () => {
  it.each([
    ['a newer birth', { status: 'offline', ts: 10 }, { status: 'online', ts: 11 }, true],
    ['an older will', { status: 'online', ts: 10 }, { status: 'offline', ts: 9 }, false],
    ['the will of the same connection', { status: 'online', ts: 10 }, { status: 'offline', ts: 10 }, true],
    ['the birth of a connection whose will was already seen', { status: 'offline', ts: 10 }, { status: 'online', ts: 10 }, false],
    ['the first status', { status: 'unknown', ts: 0 }, { status: 'online', ts: 5 }, true],
  ] as const)('%s', (_what, held, incoming, expected) => {
    expect(statusSupersedes(held, incoming)).toBe(expected);
  });
});

describe('ControllerViews', () => {
  const ev = (type: EventBody['type'], ts: number, door = 1): EventBody => ({ v: 1, controllerId: 'ctl-a', epoch: 1, seq: ts, type, door, ts }) as EventBody;

  it('reports each real door change once, and copies so callers cannot alter the view', () => {
    const changes: DoorState[] = [];
    const views = new ControllerViews((_id, s) => changes.push(s));
    views.applySnapshot('ctl-a', [closedLocked], 100);
    views.applySnapshot('ctl-a', [closedLocked], 101); // same state: no change
    views.applyEvent('ctl-a', ev('opened', 102));
    expect(changes.map((c) => c.open)).toEqual([false, true]);
    views.doorState('ctl-a', 1)!.open = false;
    expect(views.doorState('ctl-a', 1)?.open).toBe(true);
  });

  it('never lets older information roll a door back', () => {
    const views = new ControllerViews(() => {});
    views.applyEvent('ctl-a', ev('opened', 200));
    views.applySnapshot('ctl-a', [closedLocked], 150);
    views.applyEvent('ctl-a', ev('closed', 199));
    expect(views.doorState('ctl-a', 1)).toMatchObject({ open: true });
    views.applyEvent('ctl-a', ev('closed', 201));
    expect(views.doorState('ctl-a', 1)).toMatchObject({ open: false });
  });

  it('lists doors in door order and knows nothing of unseen controllers', () => {
    const views = new ControllerViews(() => {});
    views.applySnapshot('ctl-a', [{ ...closedLocked, door: 3 }, closedLocked], 1);
    expect(views.doorStates('ctl-a').map((d) => d.door)).toEqual([1, 3]);
    expect(views.doorStates('ctl-b')).toEqual([]);
    expect(views.status('ctl-b')).toBe('unknown');
  });

  it('tells when the status changed', () => {
    const views = new ControllerViews(() => {});
    expect(views.applyStatus('ctl-a', { status: 'online', ts: 10 })).toBe(true);
    expect(views.applyStatus('ctl-a', { status: 'online', ts: 11 })).toBe(false);
    expect(views.applyStatus('ctl-a', { status: 'offline', ts: 11 })).toBe(true);
    expect(views.applyStatus('ctl-a', { status: 'online', ts: 11 })).toBe(false);
    expect(views.status('ctl-a')).toBe('offline');
  });
});
