import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { BadgeInService } from '@acs/badge-in';
import { FingerprintTemplateEntity, ReaderLibraryService, ReaderManager, ReaderSlotEntity, TemplateVault } from '@acs/reader-fleet';
import { MqttEdge } from '@acs/mqtt';
import { VirtualController } from '../../hardware/virtual-controller/src/virtual-controller.js';
import { featuresToTemplate, fingerFeatures, R503_TIMING, VirtualReader, VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/index.js';
// Relative: the build's alias rewriting does not handle the /testing sub-path.
import { watchAttempts } from '../../libs/badge-in/src/testing/index.js';
import { librarySettled } from '../support/library-settled.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sealedTemplate } from './sealed-template.js';

/**
 * A site whose door readers are paced virtual R503s (57,600 baud, the datasheet's module times)
 * behind TCP device servers, each holding a full library: 20 people x 10 fingers = 200 templates,
 * known to the server (template rows and slot bookkeeping) exactly as enrolment and the library
 * sync would have left them, so the planner and the reconciliation find nothing to do. Templates
 * are put in place directly: 200 enrolments and 200 x N DownChar transfers over paced lines would
 * take far longer than the measurement. The server is the whole app as `npm start` builds it,
 * with the production driver deadlines; virtual controllers run in this process (same clock).
 */
export const PEOPLE = 20;
export const FINGERS = 10;
export const LIBRARY = PEOPLE * FINGERS;

export interface FingerDoor {
  readerId: string;
  doorId: string;
  device: VirtualReader;
  /** `${controller mqtt id}:${relay}` as the controller reports commands. */
  key: string;
}

export interface FingerRig {
  t: TestApp;
  service: BadgeInService;
  doors: FingerDoor[];
  controllers: VirtualController[];
  echo: { mqttUsername: string; mqttPassword: string };
  fingers: string[];
  close(): Promise<void>;
}

interface Secrets {
  id: string;
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

async function post<T>(t: TestApp, path: string, body: object): Promise<T> {
  const res = await t
    .http()
    .post(path)
    .set({ Authorization: `Bearer ${t.adminToken}` })
    .send(body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** A port nobody listens on yet: the readers are registered before their device servers start. */
async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // The kernel may hand the same free port out again until someone listens on it.
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

export const fingerName = (person: number, finger: number): string => `bench-person-${person}-finger-${finger}`;

export async function buildFingerRig(readerCount: number, serverPassword: string, env: Record<string, string> = {}): Promise<FingerRig> {
  const doorsPer = Math.min(readerCount, 10);
  const controllerCount = Math.ceil(readerCount / doorsPer);
  const t = await startTestApp({
    env: {
      LOG_LEVEL: 'warn',
      MQTT_SERVER_PASSWORD: serverPassword,
      BADGE_UNLOCK_MS: '1000',
      MQTT_COMMAND_TIMEOUT_MS: '5000',
      READER_SYNC_INTERVAL_S: '3600',
      ...env,
    },
  });
  const closers: Array<() => Promise<void>> = [];
  const inFlight = watchAttempts(t.app.get(BadgeInService));
  const close = async () => {
    await inFlight.settled();
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await t.close();
  };
  try {
    // Production deadlines; only reconnection is quicker, since the device servers start after the readers are registered.
    t.app.get(ReaderManager).configureDriver({ reconnect: { initialDelayMs: 50, maxDelayMs: 250, factor: 2, failAfterAttempts: 10_000 } });
    const site = await post<{ id: string }>(t, '/sites', { name: 'Finger bench', timeZone: 'Europe/Amsterdam' });
    const zone = await post<{ id: string }>(t, '/zones', { siteId: site.id, name: 'Finger hall', kind: 'suite' });
    const customer = await post<{ id: string }>(t, '/customers', {
      companyName: 'Finger B.V.',
      contractRef: 'FINGER-1',
      serviceStart: '2026-01-01T00:00:00+01:00',
    });
    const level = await post<{ id: string }>(t, '/access-levels', { siteId: site.id, name: 'Finger always', zoneIds: [zone.id] });
    const people: string[] = [];
    for (let p = 0; p < PEOPLE; p++) {
      const person = await post<{ id: string }>(t, `/customers/${customer.id}/people`, { fullName: `Finger Bench ${p}` });
      await post(t, '/grants', { accessLevelId: level.id, customerId: customer.id, personId: person.id });
      people.push(person.id);
    }
    const doors: Array<Omit<FingerDoor, 'device'> & { port: number }> = [];
    const controllers: Array<{ secrets: Secrets; doors: number }> = [];
    const ports = new Set<number>();
    for (let c = 0; c < controllerCount; c++) {
      const secrets = await post<Secrets>(t, '/controllers', { siteId: site.id, name: `Finger controller ${c}`, mqttId: `finger-bench-${c}` });
      const here = Math.min(doorsPer, readerCount - c * doorsPer);
      controllers.push({ secrets, doors: here });
      for (let d = 1; d <= here; d++) {
        const port = await freePort(ports);
        const reader = await post<{ id: string }>(t, '/readers', {
          siteId: site.id,
          name: `Finger reader ${c}-${d}`,
          model: 'R50x',
          transport: `tcp://127.0.0.1:${port}`,
          role: 'door',
          declaredCapacity: LIBRARY,
        });
        const door = await post<{ id: string }>(t, '/doors', {
          zoneId: zone.id,
          name: `Finger door ${c}-${d}`,
          entryReaderId: reader.id,
          controllerId: secrets.id,
          relayChannel: d,
        });
        doors.push({ readerId: reader.id, doorId: door.id, key: `${secrets.mqttUsername}:${d}`, port });
      }
    }
    const echo = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Finger echo', mqttId: 'finger-bench-echo' });

    // The library as enrolment and the sync would have left it: sealed template rows, and every slot stored on every reader.
    const vault = t.app.get(TemplateVault);
    const fingers: string[] = [];
    const templates: FingerprintTemplateEntity[] = [];
    for (let p = 0; p < PEOPLE; p++) {
      for (let f = 0; f < FINGERS; f++) {
        const id = randomUUID();
        const name = fingerName(p, f);
        fingers.push(name);
        templates.push(
          await sealedTemplate(vault, {
            id,
            personId: people[p],
            customerId: customer.id,
            finger: f,
            template: featuresToTemplate(fingerFeatures(name), 1536),
            at: t.clock.nowMs(),
          }),
        );
      }
    }
    const slots = doors.flatMap((d) =>
      templates.map((tpl, slot) =>
        Object.assign(new ReaderSlotEntity(), {
          readerId: d.readerId,
          slot,
          templateId: tpl.id,
          personId: tpl.personId,
          customerId: tpl.customerId,
          state: 'stored',
          updatedAt: t.clock.nowMs(),
        }),
      ),
    );
    await t.app.get(DataSource).transaction(async (m) => {
      await m.insert(FingerprintTemplateEntity, templates);
      for (let i = 0; i < slots.length; i += 500) await m.insert(ReaderSlotEntity, slots.slice(i, i + 500));
    });

    const wired: FingerDoor[] = [];
    for (const [i, d] of doors.entries()) {
      const device = new VirtualReader({ pace: true, timing: R503_TIMING, seed: 1000 + i, serialNumber: `VR-F2D-${String(i).padStart(3, '0')}` });
      fingers.forEach((name, slot) => device.storeTemplate(slot, name));
      const server = new VirtualReaderTcpServer(device);
      await server.listen(d.port);
      closers.push(() => server.close());
      wired.push({ readerId: d.readerId, doorId: d.doorId, key: d.key, device });
    }
    const manager = t.app.get(ReaderManager);
    for (const d of wired) await manager.whenReady(d.readerId, 60_000);
    await librarySettled(t.app.get(ReaderLibraryService), undefined, 60_000);
    const short = wired.filter((d) => d.device.status().templateCount !== LIBRARY);
    if (short.length > 0) throw new Error(`${short.length} reader(s) lost templates to the library sync: the bookkeeping does not match`);

    const url = t.app.get(MqttEdge).broker!.url;
    const started: VirtualController[] = [];
    for (const c of controllers) {
      const vc = new VirtualController({
        url,
        controllerId: c.secrets.mqttUsername,
        password: c.secrets.mqttPassword,
        secret: Buffer.from(c.secrets.signingSecret, 'base64'),
        doors: c.doors,
        clock: t.clock,
        reconnectPeriodMs: 100,
      });
      await vc.start();
      closers.push(() => vc.stop());
      started.push(vc);
    }
    const service = t.app.get(BadgeInService);
    await service.wiring();
    for (const deadline = Date.now() + 20_000; service.doorViews().some((d) => d.controllerStatus !== 'online');) {
      if (Date.now() > deadline) throw new Error('controllers never came online');
      await sleep(20);
    }
    return { t, service, doors: wired, controllers: started, echo, fingers, close };
  } catch (err) {
    await close();
    throw err;
  }
}
