import { describe, expect, it } from '@jest/globals';
import type { RegistrySnapshot } from '@acs/access-rules';
import type { CardReaderState } from '@acs/card-fleet';
import { cardReaderState, cardReaderViews, doorViews } from './status-views.js';
import type { DoorWiring, Topology } from './topology.js';

const door = (doorId: string, zoneId: string, mqttId: string | null): DoorWiring => ({
  doorId,
  name: doorId,
  zoneId,
  siteId: 'site',
  controllerId: mqttId ? `c-${mqttId}` : null,
  mqttId,
  relayChannel: 1,
  heldOpenSeconds: 10,
  entryReaderId: null,
  exitReaderId: null,
  entryCardReaderId: 'cr1',
  exitCardReaderId: null,
});
const topology = (doors: DoorWiring[]): Topology => ({
  doors: new Map(doors.map((d) => [d.doorId, d])),
  readers: new Map(),
  cardReaders: new Map([['cr1', { readerId: 'cr1', siteId: 'site', doorId: 'd1', direction: 'entry' }]]),
  byChannel: new Map(),
  controllers: new Map(),
});
const local = (over: Partial<CardReaderState>): CardReaderState => ({
  readerId: 'cr1',
  busId: 'b',
  siteId: 'site',
  role: 'door',
  address: 1,
  online: true,
  secure: 'scbk',
  trusted: true,
  tamper: false,
  lastSeenAt: 5,
  ...over,
});

describe('status views', () => {
  it.each([
    [false, undefined, 'disabled'],
    [false, local({}), 'disabled'],
    [true, undefined, 'other_instance'],
    [true, local({ trusted: false }), 'untrusted'],
    [true, local({ trusted: false, online: false }), 'untrusted'],
    [true, local({ online: false }), 'offline'],
    [true, local({}), 'online'],
  ] as const)('card reader with fleet enabled=%s and local state %o is %s', (enabled, state, expected) => {
    expect(cardReaderState(enabled, state)).toBe(expected);
  });

  it('places a card reader at its door, and one polled elsewhere as plain with no door state', () => {
    const rows = [
      { id: 'cr1', siteId: 'site', busId: 'b', name: 'Entry', address: 1, role: 'door' as const, host: 'a' },
      { id: 'cr2', siteId: 'site', busId: 'b', name: 'Desk', address: 2, role: 'enrolment' as const, host: 'b' },
    ];
    const [here, there] = cardReaderViews(rows, topology([]), true, [local({ tamper: true })]);
    expect(here).toMatchObject({ readerId: 'cr1', doorId: 'd1', direction: 'entry', state: 'online', secure: 'scbk', tamper: true, lastSeenAt: 5 });
    expect(there).toMatchObject({ readerId: 'cr2', doorId: null, direction: null, state: 'other_instance', secure: 'plain', tamper: false, lastSeenAt: null });
  });

  it('shows a door with its controller state, the staff override and the zone lockdown', () => {
    const snapshot = { zones: new Map([['z1', { lockdown: true }]]) } as unknown as RegistrySnapshot;
    const doors = {
      status: (id: string) => (id === 'm1' ? 'online' : 'offline') as 'online',
      doorState: (id: string) => (id === 'm1' ? { door: 1, open: false, locked: true, mode: 'normal', alarm: null } : undefined),
    };
    const views = doorViews(
      topology([door('d1', 'z1', 'm1'), door('d2', 'z2', null)]),
      doors as never,
      new Map([['d2', 'emergency_release' as const]]),
      snapshot,
    );
    expect(views).toEqual([
      expect.objectContaining({
        doorId: 'd1',
        controllerStatus: 'online',
        open: false,
        locked: true,
        controllerMode: 'normal',
        override: null,
        lockdown: true,
      }),
      expect.objectContaining({
        doorId: 'd2',
        controllerStatus: 'none',
        open: null,
        locked: null,
        controllerMode: null,
        override: 'emergency_release',
        lockdown: false,
      }),
    ]);
  });
});
