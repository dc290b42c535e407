import { describe, expect, it } from '@jest/globals';
import type { DeviceWiring, DoorWiringRow } from '@acs/registry';
import { buildTopology, channelKey } from './topology.js';

const door = (id: string, facts: Partial<DoorWiringRow> = {}): DoorWiringRow => ({
  id,
  name: `Door ${id}`,
  zoneId: 'zone-1',
  siteId: 'site-1',
  controllerId: 'ctl-row-1',
  relayChannel: 1,
  heldOpenSeconds: 30,
  entryReaderId: null,
  exitReaderId: null,
  entryCardReaderId: null,
  exitCardReaderId: null,
  ...facts,
});

describe('buildTopology', () => {
  const wiring: DeviceWiring = {
    doors: [
      door('d1', { entryReaderId: 'r-in', exitReaderId: 'r-out' }),
      door('d2', { relayChannel: 2, controllerId: null }),
      door('d3', { relayChannel: 3, entryReaderId: 'r-desk', entryCardReaderId: 'c-in', exitCardReaderId: 'c-desk' }),
    ],
    readers: [
      { id: 'r-in', siteId: 'site-1', role: 'door' },
      { id: 'r-out', siteId: 'site-1', role: 'door' },
      { id: 'r-spare', siteId: 'site-1', role: 'door' },
      { id: 'r-desk', siteId: 'site-1', role: 'enrolment' },
    ],
    controllers: [{ id: 'ctl-row-1', siteId: 'site-1', mqttId: 'ctl-1' }],
    cardReaders: [
      { id: 'c-in', siteId: 'site-1', role: 'door' },
      { id: 'c-spare', siteId: 'site-1', role: 'door' },
      { id: 'c-desk', siteId: 'site-1', role: 'enrolment' },
    ],
  };
  const t = buildTopology(wiring);

  it.each([
    ['the entry reader of a door', 'r-in', { doorId: 'd1', direction: 'entry' }],
    ['the exit reader of a door', 'r-out', { doorId: 'd1', direction: 'exit' }],
    ['a door reader no door names (its fingers are unknown_door)', 'r-spare', { doorId: null, direction: 'entry' }],
    ['an enrolment desk named by a door: never a loop', 'r-desk', undefined],
  ])('binds %s', (_what, readerId, binding) => {
    expect(t.readers.get(readerId)).toEqual(binding && { readerId, siteId: 'site-1', ...binding });
  });

  it.each([
    ['the entry card reader of a door', 'c-in', { doorId: 'd3', direction: 'entry' }],
    ['a card reader no door names', 'c-spare', { doorId: null, direction: 'entry' }],
    ['a desk card reader named by a door: never badges', 'c-desk', undefined],
  ])('binds %s', (_what, readerId, binding) => {
    expect(t.cardReaders.get(readerId)).toEqual(binding && { readerId, siteId: 'site-1', ...binding });
    expect(t.readers.has(readerId)).toBe(false);
  });

  it('finds doors by controller channel, only for doors with a controller', () => {
    expect(t.byChannel).toEqual(
      new Map([
        [channelKey('ctl-1', 1), 'd1'],
        [channelKey('ctl-1', 3), 'd3'],
      ]),
    );
    expect(t.doors.get('d2')).toMatchObject({ controllerId: null, mqttId: null });
    expect(t.doors.get('d1')).toMatchObject({ mqttId: 'ctl-1', siteId: 'site-1', heldOpenSeconds: 30 });
    expect(t.controllers.get('ctl-1')).toEqual({ controllerId: 'ctl-row-1', siteId: 'site-1' });
  });
});
