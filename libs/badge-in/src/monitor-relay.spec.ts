import { describe, expect, it } from '@jest/globals';
import type { ClusterBus } from '@acs/cluster';
import type { AppConfig } from '@acs/config';
import { MonitorBus, type MonitorEvent } from './monitor.js';
import { MonitorClusterRelay } from './monitor-relay.js';

const event = (id: string): MonitorEvent => ({ type: 'mode', siteId: 's1', zoneId: null, doorId: id, mode: 'normal', at: 0 });

async function relay(driver: 'sqlite' | 'postgres') {
  const sent: unknown[] = [];
  const subscribed: string[] = [];
  const cluster = {
    publish: (channel: string, body: unknown) => sent.push({ channel, body }),
    subscribe: async (channel: string) => void subscribed.push(channel),
  } as unknown as ClusterBus;
  const bus = new MonitorBus();
  const r = new MonitorClusterRelay(bus, cluster, { databaseDriver: driver } as AppConfig);
  await r.onModuleInit();
  return { r, bus, sent, subscribed };
}

describe(MonitorClusterRelay.name, () => {
  it.each([
    ['sqlite', false],
    ['postgres', true],
  ] as const)('relays on %s: %s', (driver, expected) => {
    expect(MonitorClusterRelay.relays(driver)).toBe(expected);
  });

  it('sends nothing from a SQLite server, the only instance of its database', async () => {
    const { bus, sent, subscribed } = await relay('sqlite');
    bus.publish(event('d1'));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    expect(subscribed).toEqual([]);
  });

  it('sends the events of one turn of the event loop at its end, in order', async () => {
    const { bus, sent } = await relay('postgres');
    bus.publish(event('d1'));
    bus.publish(event('d2'));
    expect(sent).toEqual([]); // not on the path of the badge-in that raised them
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([
      { channel: 'monitor', body: event('d1') },
      { channel: 'monitor', body: event('d2') },
    ]);
  });

  it('sends what is queued when the module stops', async () => {
    const { r, bus, sent } = await relay('postgres');
    bus.publish(event('d1'));
    r.onModuleDestroy();
    expect(sent).toHaveLength(1);
  });
});
