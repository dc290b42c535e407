import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { AccessService, CustomerService, DeviceService, PersonService, SiteService } from '@acs/registry';

export const DEMO_SITE = 'AMS-1 demo';

export interface DemoSummary {
  siteId: string;
  customers: Record<string, string>;
  people: Record<string, string>;
  doors: Record<string, string>;
  readers: Record<string, string>;
  controllers: Record<string, { id: string; mqttId: string; mqttPassword: string; signingSecret: string }>;
}

/**
 * A small colocation site for the quick start and the demos: two customers (one whose contract
 * is about to end), a few people, a building, two suites, a cage and a shared loading dock, door
 * readers on TCP ports where the virtual readers listen, and two door controllers.
 */
export async function seedDemo(app: INestApplicationContext, dataDir: string, now: number): Promise<DemoSummary> {
  const sites = app.get(SiteService);
  const devices = app.get(DeviceService);
  const access = app.get(AccessService);
  const customers = app.get(CustomerService);
  const people = app.get(PersonService);

  const site = await sites.createSite({ name: DEMO_SITE, timeZone: 'Europe/Amsterdam' });
  const zone = (name: string, kind: 'building' | 'suite' | 'cage' | 'shared', parentZoneId?: string) =>
    sites.createZone({ siteId: site.id, name, kind, ...(parentZoneId ? { parentZoneId } : {}) });
  const building = await zone('Building 1', 'building');
  const suiteA = await zone('Suite 2.14 (Acme)', 'suite', building.id);
  const cageA = await zone('Cage 2.14-C3 (Acme)', 'cage', suiteA.id);
  const suiteB = await zone('Suite 2.20 (Globex)', 'suite', building.id);
  const dock = await zone('Loading dock', 'shared', building.id);

  const reader = (name: string, port: number, role: 'door' | 'enrolment' = 'door') =>
    devices.createReader({ siteId: site.id, name, model: 'R50x', transport: `tcp://127.0.0.1:${port}`, role });
  const readers = {
    lobby: await reader('Lobby entry', 17101),
    lobbyExit: await reader('Lobby exit', 17102),
    suiteA: await reader('Suite 2.14 entry', 17103),
    cageA: await reader('Cage C3 entry', 17104),
    suiteB: await reader('Suite 2.20 entry', 17105),
    dock: await reader('Loading dock entry', 17106),
    desk: await reader('Enrolment desk', 17100, 'enrolment'),
  };
  const ctlMain = await devices.createController({ siteId: site.id, name: 'Building controller', mqttId: 'demo-ctl-main' });
  const ctlSuites = await devices.createController({ siteId: site.id, name: 'Suites controller', mqttId: 'demo-ctl-suites' });

  const door = (name: string, zoneId: string, controllerId: string, relayChannel: number, entryReaderId: string, exitReaderId?: string) =>
    devices.createDoor({ zoneId, name, controllerId, relayChannel, entryReaderId, ...(exitReaderId ? { exitReaderId } : {}) });
  const doors = {
    lobby: await door('Lobby door', building.id, ctlMain.id, 1, readers.lobby.id, readers.lobbyExit.id),
    dock: await door('Loading dock door', dock.id, ctlMain.id, 2, readers.dock.id),
    suiteA: await door('Suite 2.14 door', suiteA.id, ctlSuites.id, 1, readers.suiteA.id),
    cageA: await door('Cage C3 door', cageA.id, ctlSuites.id, 2, readers.cageA.id),
    suiteB: await door('Suite 2.20 door', suiteB.id, ctlSuites.id, 3, readers.suiteB.id),
  };

  const office = await access.createSchedule({
    name: 'Demo office hours',
    timeZone: 'Europe/Amsterdam',
    windows: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1 | 2 | 3 | 4 | 5, start: '07:00', end: '19:00' })),
    holidays: ['2026-12-25', '2026-12-26'],
  });
  const level = (name: string, zoneIds: string[], scheduleId?: string) =>
    access.createAccessLevel({ siteId: site.id, name, zoneIds, ...(scheduleId ? { scheduleId } : {}) });
  const acmeAlways = await level('Acme: building and suite, 24/7', [building.id, suiteA.id]);
  const acmeCage = await level('Acme: cage C3, office hours', [cageA.id], office.id);
  const globex = await level('Globex: building and suite, 24/7', [building.id, suiteB.id]);
  const dockLevel = await level('Loading dock, office hours', [dock.id], office.id);

  const day = 86_400_000;
  const acme = await customers.create({
    companyName: 'Acme Hosting B.V.',
    contractRef: 'DEMO-ACME-2026',
    serviceStart: new Date(now - 300 * day).toISOString(),
    contact: { name: 'Demo Contact Acme', email: 'noc@acme.example', phone: '+31 20 555 0101' },
  });
  const globexCustomer = await customers.create({
    companyName: 'Globex Cloud GmbH',
    contractRef: 'DEMO-GLOBEX-2025',
    serviceStart: new Date(now - 600 * day).toISOString(),
    serviceEnd: new Date(now + 7 * day).toISOString(),
    contact: { name: 'Demo Contact Globex', email: 'ops@globex.example' },
  });
  const person = (customerId: string, fullName: string) => people.create(customerId, { fullName });
  const ppl = {
    alice: await person(acme.id, 'Alice Demo (Acme engineer)'),
    bob: await person(acme.id, 'Bob Demo (Acme contractor)'),
    carol: await person(globexCustomer.id, 'Carol Demo (Globex engineer)'),
  };
  await access.createGrant({ accessLevelId: acmeAlways.id, customerId: acme.id });
  await access.createGrant({ accessLevelId: acmeCage.id, customerId: acme.id, personId: ppl.alice.id });
  await access.createGrant({ accessLevelId: dockLevel.id, customerId: acme.id, personId: ppl.bob.id });
  await access.createGrant({ accessLevelId: globex.id, customerId: globexCustomer.id });

  const summary: DemoSummary = {
    siteId: site.id,
    customers: { acme: acme.id, globex: globexCustomer.id },
    people: Object.fromEntries(Object.entries(ppl).map(([k, v]) => [k, v.id])),
    doors: Object.fromEntries(Object.entries(doors).map(([k, v]) => [k, v.id])),
    readers: Object.fromEntries(Object.entries(readers).map(([k, v]) => [k, v.id])),
    controllers: Object.fromEntries(
      [ctlMain, ctlSuites].map((c) => [c.mqttUsername, { id: c.id, mqttId: c.mqttUsername, mqttPassword: c.mqttPassword, signingSecret: c.signingSecret }]),
    ),
  };
  // Controller secrets are shown once; the demo's virtual controllers read them from here.
  writeFileSync(join(dataDir, 'demo.json'), JSON.stringify(summary, null, 2), { mode: 0o600 });
  return summary;
}
