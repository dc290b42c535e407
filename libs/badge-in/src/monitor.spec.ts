import { describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { matchesFilter, MonitorBus, type MonitorEvent } from './monitor.js';

const attempt = (over: Partial<Extract<MonitorEvent, { type: 'attempt' | 'follow_up' }>> = {}): MonitorEvent => ({
  type: 'attempt',
  id: 'e1',
  attemptId: 'e1',
  at: 0,
  siteId: 's1',
  zoneId: 'z1',
  doorId: 'd1',
  readerId: 'r1',
  direction: 'entry',
  result: 'granted',
  reason: 'granted',
  customerId: 'c1',
  personId: 'p1',
  ...over,
});
const alarm: MonitorEvent = {
  type: 'alarm',
  id: 'a1',
  kind: 'forced_open',
  at: 0,
  siteId: 's1',
  zoneId: 'z1',
  doorId: 'd1',
  controllerId: 'k1',
  attemptId: null,
};

describe('monitor filters', () => {
  it('filters by site, zone, door and customer', () => {
    expect(matchesFilter(attempt(), {})).toBe(true);
    expect(matchesFilter(attempt(), { siteId: 's1', zoneId: 'z1', doorId: 'd1', customerId: 'c1' })).toBe(true);
    expect(matchesFilter(attempt(), { siteId: 's2' })).toBe(false);
    expect(matchesFilter(attempt(), { zoneId: 'z2' })).toBe(false);
    expect(matchesFilter(attempt(), { doorId: 'd2' })).toBe(false);
    expect(matchesFilter(attempt(), { customerId: 'c2' })).toBe(false);
    expect(matchesFilter(alarm, { doorId: 'd1' })).toBe(true);
    expect(matchesFilter({ type: 'controller', controllerId: 'k1', siteId: 's1', status: 'online', at: 0 }, { doorId: 'd1' })).toBe(false);
  });

  it('a customer scope sees only attempts and follow-ups of its own people', () => {
    expect(matchesFilter(attempt(), { onlyCustomer: 'c1' })).toBe(true);
    expect(matchesFilter(attempt({ customerId: 'c2' }), { onlyCustomer: 'c1' })).toBe(false);
    expect(matchesFilter(attempt({ customerId: null, personId: null, reason: 'unknown_finger' }), { onlyCustomer: 'c1' })).toBe(false);
    expect(matchesFilter(alarm, { onlyCustomer: 'c1' })).toBe(false);
    expect(matchesFilter({ type: 'door', doorId: 'd1', siteId: 's1', zoneId: 'z1', event: 'opened', at: 0 }, { onlyCustomer: 'c1' })).toBe(false);
  });

  it('a security alarm reaches every desk view whatever its site, zone or door, never a customer', () => {
    const sec: MonitorEvent = { type: 'security_alarm', id: 'x1', at: 0, count: 20, windowS: 60, kind: 'forged-event', source: 'ctl-1' };
    expect(matchesFilter(sec, {})).toBe(true);
    expect(matchesFilter(sec, { siteId: 's1', zoneId: 'z1', doorId: 'd1' })).toBe(true);
    expect(matchesFilter(sec, { customerId: 'c1' })).toBe(false);
    expect(matchesFilter(sec, { onlyCustomer: 'c1' })).toBe(false);
  });

  it('fans out to every subscriber with its own filter', async () => {
    const bus = new MonitorBus();
    const all = firstValueFrom(bus.stream({}).pipe(take(2), toArray()));
    const door2 = firstValueFrom(bus.stream({ doorId: 'd2' }).pipe(take(1), toArray()));
    bus.publish(attempt());
    bus.publish(attempt({ id: 'e2', attemptId: 'e2', doorId: 'd2' }));
    expect((await all).map((e) => (e as { id: string }).id)).toEqual(['e1', 'e2']);
    expect((await door2).map((e) => (e as { id: string }).id)).toEqual(['e2']);
    bus.complete();
  });
});
