import { expect } from '@jest/globals';
import type { TestApp } from './test-app.js';

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let serial = 0;

/** POST and return the body, failing the test with the problem document on an unexpected status. */
export async function post<T = Record<string, unknown>>(t: TestApp, path: string, body: object, token = t.adminToken, status = 201): Promise<T> {
  const res = await t.http().post(path).set(bearer(token)).send(body);
  expect({ path, status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ path, status, body: undefined });
  return res.body as T;
}

export interface SiteFixture {
  siteId: string;
  suiteZoneId: string;
  cageZoneId: string;
  entryReaderId: string;
  exitReaderId: string;
  controllerId: string;
  suiteDoorId: string;
  cageDoorId: string;
  officeHoursId: string;
  suiteLevelId: string;
  cageLevelId: string;
}

/**
 * A small site through the HTTP API: a suite (door with entry and exit reader) and a cage inside
 * it (door with an entry reader), an office-hours schedule and two access levels.
 */
export async function buildSite(t: TestApp, opts: { readerCapacity?: number } = {}): Promise<SiteFixture> {
  const n = ++serial;
  const site = await post<{ id: string }>(t, '/sites', { name: `AMS-${n}`, timeZone: 'Europe/Amsterdam' });
  const suite = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: `Suite ${n}`, kind: 'suite' });
  const cage = await post<{ id: string }>(t, '/zones', { siteId: site.id, parentZoneId: suite.id, name: `Cage ${n}`, kind: 'cage' });
  const reader = (name: string, port: string) =>
    post<{ id: string }>(t, '/readers', {
      siteId: site.id,
      name,
      model: 'R50x',
      transport: `/dev/ttyTEST${n}${port}`,
      role: 'door',
      ...(opts.readerCapacity ? { declaredCapacity: opts.readerCapacity } : {}),
    });
  const entry = await reader(`Suite ${n} entry`, 'a');
  const exit = await reader(`Suite ${n} exit`, 'b');
  const cageReader = await reader(`Cage ${n} entry`, 'c');
  const controller = await post<{ id: string }>(t, '/controllers', { siteId: site.id, name: `Controller ${n}`, mqttId: `ams-ctl-${n}` });
  const suiteDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: suite.id,
    name: `Suite ${n} door`,
    entryReaderId: entry.id,
    exitReaderId: exit.id,
    controllerId: controller.id,
    relayChannel: 1,
  });
  const cageDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: cage.id,
    name: `Cage ${n} door`,
    entryReaderId: cageReader.id,
    controllerId: controller.id,
    relayChannel: 2,
  });
  const officeHours = await post<{ id: string }>(t, '/schedules', {
    name: `Office hours ${n}`,
    timeZone: 'Europe/Amsterdam',
    windows: [1, 2, 3, 4, 5].map((day) => ({ day, start: '07:00', end: '19:00' })),
  });
  const suiteLevel = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: `Suite ${n} always`, zoneIds: [suite.id] });
  const cageLevel = await post<{ id: string }>(t, '/access-levels', {
    siteId: site.id,
    name: `Cage ${n} office hours`,
    zoneIds: [cage.id],
    scheduleId: officeHours.id,
  });
  return {
    siteId: site.id,
    suiteZoneId: suite.id,
    cageZoneId: cage.id,
    entryReaderId: entry.id,
    exitReaderId: exit.id,
    controllerId: controller.id,
    suiteDoorId: suiteDoor.id,
    cageDoorId: cageDoor.id,
    officeHoursId: officeHours.id,
    suiteLevelId: suiteLevel.id,
    cageLevelId: cageLevel.id,
  };
}

export async function createCustomer(
  t: TestApp,
  body: Partial<{ companyName: string; contractRef: string; serviceStart: string; serviceEnd: string; contact: object }> = {},
): Promise<{ id: string }> {
  const n = ++serial;
  return post(t, '/customers', {
    companyName: `Customer ${n} B.V.`,
    contractRef: `COLO-${n}-${Date.now() % 100000}`,
    serviceStart: '2026-01-01T00:00:00+01:00',
    ...body,
  });
}

export async function createPerson(t: TestApp, customerId: string, body: Record<string, unknown> = {}): Promise<{ id: string }> {
  return post(t, `/customers/${customerId}/people`, { fullName: `Person ${++serial}`, ...body });
}
