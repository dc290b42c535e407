import { post } from './registry-fixture.js';
import type { TestApp } from './test-app.js';

/** The credentials the registry returns once when a controller is created. */
export interface ControllerSecrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

/** Transports (tcp://host:port) of the four readers: the desk and the three door readers. */
export interface SiteReaderUrls {
  desk: string;
  suiteEntry: string;
  suiteExit: string;
  cageEntry: string;
}

export interface SuiteCageSiteOptions {
  /** Site name; also the start of the customer's contract reference. */
  label: string;
  /** The number in zone, reader, door and level names. */
  n: number;
  company: string;
  urls: SiteReaderUrls;
  /** Created in this order; the doors name them by index. */
  controllers: Array<{ name: string; mqttId: string }>;
  suiteDoor: { controller: number; relayChannel: number; heldOpenSeconds?: number };
  cageDoor: { controller: number; relayChannel: number };
  /** Adds a third level: the suite on Saturdays 08:00–18:00 only. */
  saturdayLevel?: boolean;
}

export interface SuiteCageSite {
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
  weekendLevelId: string | null;
  customerId: string;
  controllers: ControllerSecrets[];
}

/**
 * The layout the enrolment and badge-in suites share, built over the HTTP API: a suite (door
 * with entry and exit reader) with a cage inside it (door with an entry reader), a desk reader,
 * levels for each zone and one customer. The requests go in one fixed order, so what a suite's
 * tests see (names, ids in creation order, audit trail) does not depend on which suite built it.
 */
export async function buildSuiteCageSite(t: TestApp, o: SuiteCageSiteOptions): Promise<SuiteCageSite> {
  const { n } = o;
  const site = await post<{ id: string }>(t, '/sites', { name: o.label, timeZone: 'Europe/Amsterdam' });
  const suite = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: `Suite ${n}`, kind: 'suite' });
  const cage = await post<{ id: string }>(t, '/zones', { siteId: site.id, parentZoneId: suite.id, name: `Cage ${n}`, kind: 'cage' });
  const reader = (name: string, transport: string, role: 'door' | 'enrolment') =>
    post<{ id: string }>(t, '/readers', { siteId: site.id, name, model: 'R50x', transport, role });
  const desk = await reader(`Desk ${n}`, o.urls.desk, 'enrolment');
  const se = await reader(`Suite ${n} entry`, o.urls.suiteEntry, 'door');
  const sx = await reader(`Suite ${n} exit`, o.urls.suiteExit, 'door');
  const ce = await reader(`Cage ${n} entry`, o.urls.cageEntry, 'door');
  const controllers: ControllerSecrets[] = [];
  for (const c of o.controllers) controllers.push(await post<ControllerSecrets>(t, '/controllers', { siteId: site.id, name: c.name, mqttId: c.mqttId }));
  const suiteDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: suite.id,
    name: `Suite ${n} door`,
    entryReaderId: se.id,
    exitReaderId: sx.id,
    controllerId: controllers[o.suiteDoor.controller].id,
    relayChannel: o.suiteDoor.relayChannel,
    ...(o.suiteDoor.heldOpenSeconds !== undefined ? { heldOpenSeconds: o.suiteDoor.heldOpenSeconds } : {}),
  });
  const cageDoor = await post<{ id: string }>(t, '/doors', {
    zoneId: cage.id,
    name: `Cage ${n} door`,
    entryReaderId: ce.id,
    controllerId: controllers[o.cageDoor.controller].id,
    relayChannel: o.cageDoor.relayChannel,
  });
  const suiteLevel = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: `Suite ${n} always`, zoneIds: [suite.id] });
  const cageLevel = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: `Cage ${n} always`, zoneIds: [cage.id] });
  let weekendLevelId: string | null = null;
  if (o.saturdayLevel) {
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
    weekendLevelId = weekendLevel.id;
  }
  const customer = await post<{ id: string }>(t, '/customers', {
    companyName: `${o.company} B.V.`,
    contractRef: `${o.label}-${Date.now() % 100000}`,
    serviceStart: '2026-01-01T00:00:00+01:00',
  });
  return {
    siteId: site.id,
    suiteZoneId: suite.id,
    cageZoneId: cage.id,
    suiteDoorId: suiteDoor.id,
    cageDoorId: cageDoor.id,
    deskId: desk.id,
    suiteEntryId: se.id,
    suiteExitId: sx.id,
    cageEntryId: ce.id,
    suiteLevelId: suiteLevel.id,
    cageLevelId: cageLevel.id,
    weekendLevelId,
    customerId: customer.id,
    controllers,
  };
}
