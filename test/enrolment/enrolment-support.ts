import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { FAST_READER_OPTIONS } from '@acs/fingerprint/testing';
import { VirtualReader, VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/index.js';
import { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import { type EnrolmentView } from '@acs/enrolment';
import { bearer } from '../support/registry-fixture.js';
import { buildSuiteCageSite, type SiteReaderUrls } from '../support/suite-cage-site.js';
import type { TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface VirtualDevice {
  device: VirtualReader;
  server: VirtualReaderTcpServer;
  url: string;
  port: number;
  flashPath: string;
  /** Stop answering on the network, like an unplugged device server. */
  unplug(): Promise<void>;
  /** Listen again on the same port with the same module (flash kept). */
  plug(): Promise<void>;
  close(): Promise<void>;
}

let devices = 0;

export async function startVirtualReader(
  dir: string,
  { newClientWins, ...options }: { pace?: boolean; capacity?: number; newClientWins?: boolean } = {},
): Promise<VirtualDevice> {
  const flashPath = join(dir, `flash-${++devices}.json`);
  const device = new VirtualReader({ flashPath, seed: devices, serialNumber: `VR-E2E-${devices}`, ...options });
  let server = new VirtualReaderTcpServer(device, { newClientWins });
  const { url, port } = await server.listen(0);
  const d: VirtualDevice = {
    device,
    get server() {
      return server;
    },
    url,
    port,
    flashPath,
    unplug: () => server.close(),
    plug: async () => {
      server = new VirtualReaderTcpServer(device, { newClientWins });
      await server.listen(port);
    },
    close: () => server.close(),
  };
  return d;
}

/** Template bytes as the module's flash holds them, by slot. */
export function flashTemplates(d: VirtualDevice): Map<number, Buffer> {
  if (!existsSync(d.flashPath)) return new Map();
  const file = JSON.parse(readFileSync(d.flashPath, 'utf8')) as { templates: Record<string, { template: string }> };
  return new Map(Object.entries(file.templates).map(([slot, t]) => [Number(slot), Buffer.from(t.template, 'base64')]));
}

/** The app with short driver deadlines, and services the tests poke at. */
export function tuneForTests(t: TestApp): { manager: ReaderManager; library: ReaderLibraryService } {
  const manager = t.app.get(ReaderManager);
  const library = t.app.get(ReaderLibraryService);
  manager.configureDriver({ ...FAST_READER_OPTIONS, reconnect: { initialDelayMs: 20, maxDelayMs: 100, factor: 2, failAfterAttempts: 1000 } });
  library.retryDelayMs = 30;
  return { manager, library };
}

export interface Site {
  siteId: string;
  suiteZoneId: string;
  cageZoneId: string;
  deskId: string;
  suiteEntryId: string;
  suiteExitId: string;
  cageEntryId: string;
  suiteLevelId: string;
  cageLevelId: string;
  customerId: string;
}

let sites = 0;

/** A suite (door with entry and exit reader) and a cage (entry reader), all virtual readers over TCP, and a desk reader. */
export async function buildVirtualSite(t: TestApp, urls: SiteReaderUrls): Promise<Site> {
  const n = ++sites;
  const s = await buildSuiteCageSite(t, {
    label: `ENR-${n}`,
    n,
    company: `Enrol ${n}`,
    urls,
    controllers: [{ name: `Controller ${n}`, mqttId: `enr-ctl-${n}` }],
    suiteDoor: { controller: 0, relayChannel: 1 },
    cageDoor: { controller: 0, relayChannel: 2 },
  });
  return {
    siteId: s.siteId,
    suiteZoneId: s.suiteZoneId,
    cageZoneId: s.cageZoneId,
    deskId: s.deskId,
    suiteEntryId: s.suiteEntryId,
    suiteExitId: s.suiteExitId,
    cageEntryId: s.cageEntryId,
    suiteLevelId: s.suiteLevelId,
    cageLevelId: s.cageLevelId,
    customerId: s.customerId,
  };
}

/**
 * The person at the desk: follows the prompts of an enrolment over the HTTP API and puts the
 * virtual finger on the desk reader or takes it off. `poorFirst` makes the first capture a messy
 * image (sensor in "poor" mode) so the quality gate has to ask again.
 */
export async function actAtDesk(
  t: TestApp,
  desk: VirtualReader,
  enrolmentId: string,
  finger: string,
  options: { poorFirst?: boolean; timeoutMs?: number } = {},
): Promise<{ final: EnrolmentView; prompts: string[] }> {
  const prompts: string[] = [];
  let poor = options.poorFirst === true;
  if (poor) desk.setMode('poor');
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const res = await t.http().get(`/enrolments/${enrolmentId}`).set(bearer(t.adminToken));
    expect(res.status).toBe(200);
    const view = res.body as EnrolmentView;
    if (view.prompt && prompts[prompts.length - 1] !== view.prompt) prompts.push(view.prompt);
    if (view.status !== 'running') {
      desk.lift();
      desk.setMode('normal');
      return { final: view, prompts };
    }
    const placed = desk.status().finger !== null;
    if (view.prompt === 'lift_finger' && placed) desk.lift();
    else if ((view.prompt === 'place_finger' || view.prompt === 'place_again') && !placed) desk.place(finger);
    else if (view.prompt === 'try_again') {
      if (placed) {
        desk.lift();
        if (poor) {
          poor = false;
          desk.setMode('normal');
        }
      } else desk.place(finger);
    }
    if (Date.now() > deadline) throw new Error(`enrolment ${enrolmentId} still running at ${view.step}`);
    await sleep(15);
  }
}

/** Does `needle` (or a 24-byte run of it) occur in `haystack`? */
export function containsRun(haystack: Buffer, needle: Buffer, runs = [8, 200, 700, 1200]): boolean {
  return runs.some((offset) => offset + 24 <= needle.length && haystack.indexOf(needle.subarray(offset, offset + 24)) >= 0);
}

/**
 * The whole server on an existing data folder and master key, to restart it over the same
 * database (startTestApp always makes a fresh folder).
 */
export async function startAppAt(dir: string, masterKey: string, clock: import('@acs/clock').FakeClock): Promise<TestApp> {
  // One after another: Jest's ESM loader can fail to link a module that two concurrent dynamic
  // imports reach at once ("request for … is not in cache"), as app.module and setup both do.
  const { Test } = await import('@nestjs/testing');
  const { default: request } = await import('supertest');
  const { StaffService } = await import('@acs/auth');
  const { loadConfig } = await import('@acs/config');
  const { AppModule } = await import('../../apps/server/src/app.module.js');
  const { configureApp } = await import('../../apps/server/src/setup.js');
  const { LogCapture } = await import('../support/log-capture.js');
  const { databaseEnvFor } = await import('../support/test-database.js');
  // A free broker port as startTestApp takes: a fixed one collides with any other suite (or CI's
  // parallel PostgreSQL pass) restarting at the same moment.
  const config = loadConfig({
    DATA_DIR: dir,
    ...(await databaseEnvFor(dir)),
    MASTER_KEY: masterKey,
    LOG_LEVEL: 'debug',
    READER_SYNC_INTERVAL_S: '3600',
    MQTT_EMBEDDED_PORT: '0',
  });
  const logs = new LogCapture();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, clock, logDestination: logs })] }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
  configureApp(app, config);
  await app.init();
  const staff = app.get(StaffService);
  const tokenFor = async (role: 'admin' | 'security' | 'compliance' | 'auditor') =>
    (await staff.create(`restart-${role}-${Date.now()}-${Math.random()}`, role)).token.token;
  const adminToken = await tokenFor('admin');
  return { app, config, clock, logs, dir, adminToken, http: () => request(app.getHttpServer()), tokenFor, close: () => app.close() };
}
