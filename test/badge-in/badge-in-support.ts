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
import { buildSuiteCageSite, type ControllerSecrets } from '../support/suite-cage-site.js';
import type { TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

export type { ControllerSecrets };

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
  const s = await buildSuiteCageSite(t, {
    label: `BADGE-${n}`,
    n,
    company: `Badge ${n}`,
    urls: { desk: desk.url, suiteEntry: suiteEntry.url, suiteExit: suiteExit.url, cageEntry: cageEntry.url },
    controllers: [
      { name: `Controller A${n}`, mqttId: `badge-a-${n}` },
      { name: `Controller B${n}`, mqttId: `badge-b-${n}` },
    ],
    suiteDoor: { controller: 0, relayChannel: 1, heldOpenSeconds: 1 },
    cageDoor: { controller: 1, relayChannel: 1 },
    saturdayLevel: true,
  });
  if (s.weekendLevelId === null) throw new Error('the Saturday level was not built');
  return {
    siteId: s.siteId,
    suiteZoneId: s.suiteZoneId,
    cageZoneId: s.cageZoneId,
    suiteDoorId: s.suiteDoorId,
    cageDoorId: s.cageDoorId,
    deskId: s.deskId,
    suiteEntryId: s.suiteEntryId,
    suiteExitId: s.suiteExitId,
    cageEntryId: s.cageEntryId,
    suiteLevelId: s.suiteLevelId,
    cageLevelId: s.cageLevelId,
    weekendLevelId: s.weekendLevelId,
    customerId: s.customerId,
    controllerA: s.controllers[0],
    controllerB: s.controllers[1],
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
