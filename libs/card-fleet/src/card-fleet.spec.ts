import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { ReadinessRegistry } from '@acs/health';
import { RegistryChanges, type CardReaderService, type FleetBus } from '@acs/registry';
import { CardFleet } from './card-fleet.js';

const SITE = '01a23bce-0000-7000-8000-000000000001';

const bus = (id: string, readers: FleetBus['readers']): FleetBus => ({ id, siteId: SITE, transport: `/dev/ttyCARDFLEET-${id}`, baudRate: 9600, readers });
const reader = (id: string, address: number): FleetBus['readers'][number] => ({
  id,
  siteId: SITE,
  name: `Reader ${address}`,
  address,
  role: 'door',
  secureMode: 'required',
  installMode: true,
});

describe('CardFleet sync', () => {
  let fleet: CardFleet | undefined;

  afterEach(async () => {
    await fleet?.onApplicationShutdown();
  });

  const make = (buses: FleetBus[]) => {
    const registry = { busesOnHost: async () => buses, readerKey: () => undefined } as unknown as CardReaderService;
    fleet = new CardFleet(
      loadConfig({ DATA_DIR: '/tmp/card-fleet-spec' }),
      registry,
      new RegistryChanges(),
      new FakeClock('2026-12-03T12:00:00Z'),
      new ReadinessRegistry(),
    );
    // A device that does not exist: the bus keeps trying to open it, which is all this spec needs.
    // Short backoff: OsdpBus.close() waits out a backoff pause that began after close was called.
    fleet.busOptions = { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } };
    return fleet;
  };

  it('opens the lines that have readers although another line of this instance has none yet', async () => {
    const sut = make([bus('empty', []), bus('wired', [reader('r1', 1), reader('r2', 2)])]);
    await sut.sync();
    expect(sut.list().map((s) => [s.readerId, s.busId, s.address, s.online])).toEqual([
      ['r1', 'wired', 1, false],
      ['r2', 'wired', 2, false],
    ]);
  });
});
