import { expect } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { readEventStream } from '@acs/event-stream';
import { DataSource } from 'typeorm';
import { AccessEventEntity } from '@acs/access-log';
import { BadgeInService, type BadgeOutcome } from '@acs/badge-in';
import type { EnrolmentView } from '@acs/enrolment';
import { MqttEdge } from '@acs/mqtt';
import { startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { actAtDesk, startVirtualReader, tuneForTests, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ControllerSecrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

export interface BadgeSite {
  siteId: string;
  suiteZoneId: string;
  cageZoneId: string;
  suiteDoorId: string;
  cageDoorId: string;
  deskId: string;
  suiteEntryId: string;
  suiteExitId: string;
  cageEntryId: string;
  suiteLevelId: string;
  cageLevelId: string;
  weekendLevelId: string;
  customerId: string;
  controllerA: ControllerSecrets;
  controllerB: ControllerSecrets;
  readers: { desk: VirtualDevice; suiteEntry: VirtualDevice; suiteExit: VirtualDevice; cageEntry: VirtualDevice };
}

let sites = 0;

/**
 * A suite (door with entry and exit reader on controller A, relay 1) and a cage (entry reader on
 * controller B, relay 1), virtual readers over TCP, a desk reader, one customer and three levels:
 * suite always, cage always, suite on Saturdays only.
 */
export async function buildBadgeSite(t: TestApp): Promise<BadgeSite> {
  const n = ++sites;
  const [desk, suiteEntry, suiteExit, cageEntry] = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
  const site = await post<{ id: string }>(t, '/sites', { name: `BADGE-${n}`, timeZone: 'Europe/Amsterdam' });
  const suite = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: `Suite ${n}`, kind: 'suite' });
  const cage = await post<{ id: string }>(t, '/zones', { siteId: site.id, parentZoneId: suite.id, name: `Cage ${n}`, kind: 'cage' });
  const reader = (name: string, transport: string, role: 'door' | 'enrolment') =>
    post<{ id: string }>(t, '/readers', { siteId: site.id, name, model: 'R50x', transport, role });
  const deskR = await reader(`Desk ${n}`, desk.url, 'enrolment');
  const se = await reader(`Suite ${n} entry`, suiteEntry.url, 'door');
  const sx = await reader(`Suite ${n} exit`, suiteExit.url, 'door');
  const ce = await reader(`Cage ${n} entry`, cageEntry.url, 'door');
  const controllerA = await post<ControllerSecrets>(t, '/controllers', { siteId: site.id, name: `Controller A${n}`, mqttId: `badge-a-${n}` });
  const controllerB = await post<ControllerSecrets>(t, '/controllers', { siteId: site.id, name: `Controller B${n}`, mqttId: `badge-b-${n}` });
  const suiteDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: suite.id,
    name: `Suite ${n} door`,
    entryReaderId: se.id,
    exitReaderId: sx.id,
    controllerId: controllerA.id,
    relayChannel: 1,
    heldOpenSeconds: 1,
  });
  const cageDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: cage.id,
    name: `Cage ${n} door`,
    entryReaderId: ce.id,
    controllerId: controllerB.id,
    relayChannel: 1,
  });
  const suiteLevel = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: `Suite ${n} always`, zoneIds: [suite.id] });
  const cageLevel = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: `Cage ${n} always`, zoneIds: [cage.id] });
  const saturday = await post<{ id: string }>(t, '/schedules', {
    name: `Saturdays ${n}`,
    timeZone: 'Europe/Amsterdam',
    windows: [{ day: 6, start: '08:00', end: '18:00' }],
  });
  const weekendLevel = await post<{ id: string }>(t, '/access-levels', {
    siteId: site.id,
    name: `Suite ${n} Saturdays`,
    zoneIds: [suite.id],
    scheduleId: saturday.id,
  });
  const customer = await post<{ id: string }>(t, '/customers', {
    companyName: `Badge ${n} B.V.`,
    contractRef: `BADGE-${n}-${Date.now() % 100000}`,
    serviceStart: '2026-01-01T00:00:00+01:00',
  });
  return {
    siteId: site.id,
    suiteZoneId: suite.id,
    cageZoneId: cage.id,
    suiteDoorId: suiteDoor.id,
    cageDoorId: cageDoor.id,
    deskId: deskR.id,
    suiteEntryId: se.id,
    suiteExitId: sx.id,
    cageEntryId: ce.id,
    suiteLevelId: suiteLevel.id,
    cageLevelId: cageLevel.id,
    weekendLevelId: weekendLevel.id,
    customerId: customer.id,
    controllerA,
    controllerB,
    readers: { desk, suiteEntry, suiteExit, cageEntry },
  };
}

export async function connectController(t: TestApp, s: ControllerSecrets, overrides: { clockAheadMs?: number } = {}): Promise<VirtualController> {
  const url = t.app.get(MqttEdge).broker!.url;
  const controller = await startVirtualController(
    url,
    { controllerId: s.mqttUsername, password: s.mqttPassword, secret: Buffer.from(s.signingSecret, 'base64') },
    { clock: overrides.clockAheadMs ? new FakeClock(t.clock.nowMs() + overrides.clockAheadMs) : t.clock, doors: 2 },
  );
  return controller;
}

export async function enrol(t: TestApp, site: BadgeSite, personId: string, finger: number, virtualFinger: string): Promise<void> {
  const started = await post<EnrolmentView>(t, '/enrolments', { personId, finger, readerId: site.deskId });
  const { final } = await actAtDesk(t, site.readers.desk.device, started.id, virtualFinger);
  expect(final.status).toBe('enrolled');
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Put a virtual finger on a reader, wait for the attempt, its actions, and lift it again. */
export async function badgeAt(t: TestApp, device: VirtualDevice, readerId: string, finger: string, timeoutMs = 10_000): Promise<BadgeOutcome> {
  const service = t.app.get(BadgeInService);
  const outcome = new Promise<BadgeOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      service.off('badge', onBadge);
      reject(new Error(`no badge-in for ${finger} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onBadge = (o: BadgeOutcome) => {
      if (o.decision.readerId === readerId) {
        clearTimeout(timer);
        service.off('badge', onBadge);
        resolve(o);
      }
    };
    service.on('badge', onBadge);
  });
  device.device.place(finger);
  try {
    const o = await outcome;
    await o.done;
    return o;
  } finally {
    device.device.lift();
    // The loop waits for the lift before it identifies again.
    await sleep(120);
  }
}

export async function eventsOf(t: TestApp, attemptId: string): Promise<AccessEventEntity[]> {
  return t.app
    .get(DataSource)
    .getRepository(AccessEventEntity)
    .find({ where: { attemptId }, order: { seq: 'ASC' } });
}

export async function setupBadgeApp(t: TestApp): Promise<void> {
  tuneForTests(t);
}

export { bearer, post };

/** Opens a server-sent events stream with a bearer header (what a desk console does with fetch) and collects parsed events. */
export async function openSse(
  t: TestApp,
  path: string,
  token: string,
): Promise<{ events: Array<{ event: string; data: Record<string, unknown> }>; status: number; close(): void }> {
  const server = t.app.getHttpServer() as import('node:http').Server;
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as import('node:net').AddressInfo;
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  const body = res.body;
  if (body) {
    void (async () => {
      try {
        for await (const e of readEventStream(body)) events.push({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> });
      } catch {
        // aborted
      }
    })();
  }
  return { events, status: res.status, close: () => ac.abort() };
}
