import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SystemClock, seededRandom } from '@acs/clock';
import { ErasureService } from '@acs/compliance';
import { nativeSqlite } from '@acs/database';
import { FingerprintTemplateEntity, ReaderLibraryService, ReaderManager, ReaderSlotEntity } from '@acs/reader-fleet';
import { CustomerService, ReaderEntity } from '@acs/registry';
import { captureFeatures, featuresToTemplate } from '../../hardware/virtual-reader/src/finger.model.js';
import { VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/tcp.attachment.js';
import { VirtualReader } from '../../hardware/virtual-reader/src/virtual-reader.js';
// Relative imports: the build's alias rewriting does not handle the /testing sub-path.
import { generateEvents, insertChained } from '../../libs/access-log/src/testing/index.js';
import type { Benchmark, Figure } from './harness.js';
import { serverContext, setUpContext } from './setup-context.js';
import { sealedTemplate } from './sealed-template.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { librarySettled } from '../support/library-settled.js';

const BAUD = 57600;
const TEMPLATE_SIZE = 1536;
/** DeletChar (16 bytes) + ACK (12) + ReadIndexTable (13) + its reply (44): one verified delete on the wire. */
const VERIFIED_DELETE_BYTES = 16 + 12 + 13 + 44;
const wireMs = (bytes: number) => (bytes * 10 * 1000) / BAUD;

/**
 * Between the synchronous history inserts: 1M events (and the twin's) in one go held the event
 * loop for minutes, and the embedded broker dropped the server's MQTT connection for a missed
 * keepalive, which is what made closing the set-up application hang (fixed in AcsMqttClient.end).
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The end-of-service purge of one big customer through the application (Nest context as the
 * server builds it): 500 people, 1,000 templates on 10 virtual R503 door readers pacing every
 * byte at 57,600 baud, 1,000,000 access events. Set-up writes readers' flash, slot bookkeeping
 * and history directly (filling readers over the wire would take the better part of an hour);
 * the purge itself runs every step for real: DeletChar + ReadIndexTable per slot, deletion of
 * rows, history, key, WAL checkpoint(TRUNCATE) and the byte scan, certificate. Reported per step
 * from the certificate; the reader step against the wire-time bound of its verified deletes.
 */
const bench: Benchmark = {
  name: 'purge: customer with 500 people, 1,000 templates on 10 paced readers, 1M history events',
  // Set-up alone (a 1.9 GB database) takes minutes on a shared 2-vCPU machine.
  deadlineMs: { full: 40 * 60_000, quick: 5 * 60_000 },
  async run(ctx) {
    const people = ctx.quick ? 50 : 500;
    const readersN = 10;
    const events = ctx.quick ? 20_000 : 1_000_000;
    const dataDir = join(ctx.tmpDir, 'purge');
    mkdirSync(dataDir, { recursive: true });
    const env = {
      DATA_DIR: dataDir,
      MASTER_KEY: randomBytes(32).toString('base64'),
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      MQTT_EMBEDDED_PORT: '0',
      LOG_LEVEL: 'error',
    };
    const clock = new SystemClock();
    const devices: VirtualReader[] = [];
    const servers: VirtualReaderTcpServer[] = [];
    let app: INestApplicationContext | undefined;
    try {
      // ------------------------------------------------------------ set-up, no device I/O
      const setupStart = performance.now();
      const setup = await setUpContext({ ...env, READERS_ENABLED: 'false' }, clock);
      app = setup.app;
      const { ds, sites, devices: deviceService, access, customers, persons, vault } = setup;
      const site = await sites.createSite({ name: 'BENCH', timeZone: 'Europe/Amsterdam' });
      const readers: Array<{ id: string; zoneId: string; doorId: string; levelId: string }> = [];
      for (let r = 0; r < readersN; r++) {
        const zone = await sites.createZone({ siteId: site.id, name: `Hall ${r}`, kind: 'suite' });
        const reader = await deviceService.createReader({
          siteId: site.id,
          name: `Hall ${r} entry`,
          model: 'R50x',
          transport: `tcp://127.0.0.1:${1 + r}`,
          role: 'door',
          declaredCapacity: 200,
        });
        const door = await deviceService.createDoor({ zoneId: zone.id, name: `Hall ${r} door`, entryReaderId: reader.id });
        const level = await access.createAccessLevel({ siteId: site.id, name: `Hall ${r} always`, zoneIds: [zone.id] });
        readers.push({ id: reader.id, zoneId: zone.id, doorId: door.id, levelId: level.id });
      }
      // A second customer with the same history: the raw baseline deletes its chain after the purge.
      const twin = await customers.create({ companyName: 'Twin Tenant B.V.', contractRef: 'BENCH-TWIN', serviceStart: '2025-01-01T00:00:00Z' });
      const customer = await customers.create({
        companyName: 'Big Tenant B.V.',
        contractRef: 'BENCH-PURGE',
        serviceStart: '2025-01-01T00:00:00Z',
        contact: { name: 'Bench Contact Person', email: 'contact@big-tenant.example' },
      });
      const rnd = seededRandom(4242);
      const flash = readers.map(() => new Map<number, { template: Buffer; finger: string }>());
      const slots: ReaderSlotEntity[] = [];
      const personIds: string[] = [];
      for (let i = 0; i < people; i++) {
        const p = await persons.create(customer.id, { fullName: `Bench Person ${i}`, email: `person${i}@big-tenant.example` });
        personIds.push(p.id);
        const r = i % readersN;
        await access.createGrant({ accessLevelId: readers[r].levelId, customerId: customer.id, personId: p.id });
        for (const finger of [1, 2]) {
          const id = randomUUID();
          const template = featuresToTemplate(captureFeatures(`bench-${i}-${finger}`, rnd), TEMPLATE_SIZE);
          await ds
            .getRepository(FingerprintTemplateEntity)
            .insert(await sealedTemplate(vault, { id, personId: p.id, customerId: customer.id, finger, template, at: clock.nowMs() }));
          const slot = flash[r].size;
          flash[r].set(slot, { template, finger: `bench-${i}-${finger}` });
          slots.push(
            Object.assign(new ReaderSlotEntity(), {
              readerId: readers[r].id,
              slot,
              templateId: id,
              personId: p.id,
              customerId: customer.id,
              state: 'stored',
              updatedAt: clock.nowMs(),
            }),
          );
        }
      }
      for (let i = 0; i < slots.length; i += 200) await ds.getRepository(ReaderSlotEntity).insert(slots.slice(i, i + 200));
      for (let r = 0; r < readersN; r++) {
        const flashPath = join(dataDir, `reader-${r}.json`);
        writeFileSync(
          flashPath,
          JSON.stringify({
            version: 1,
            address: 'ffffffff',
            password: '00000000',
            securityLevel: 3,
            packetSizeCode: 2,
            baudN: 6,
            notepad: Array.from({ length: 16 }, () => '00'.repeat(32)),
            templates: Object.fromEntries([...flash[r].entries()].map(([s, t]) => [String(s), { template: t.template.toString('base64'), finger: t.finger }])),
          }),
        );
        const device = new VirtualReader({ flashPath, capacity: 200, templateSize: TEMPLATE_SIZE, packetSize: 128, pace: true, seed: 100 + r });
        const server = new VirtualReaderTcpServer(device);
        const { url } = await server.listen(0);
        devices.push(device);
        servers.push(server);
        await ds.getRepository(ReaderEntity).update({ id: readers[r].id }, { transport: url });
      }
      const db = nativeSqlite(ds);
      const endOfService = clock.nowMs() - 60_000;
      for (let done = 0; done < events; done += 100_000) {
        const batch = generateEvents({
          siteId: site.id,
          doors: readers.map((r) => ({ doorId: r.doorId, zoneId: r.zoneId, readerId: r.id })),
          customers: [{ customerId: customer.id, personIds }],
          count: Math.min(100_000, events - done),
          startMs: endOfService - 365 * 86_400_000 + done * 20,
          stepMs: 20,
          unknownShare: 0,
          seed: 1 + done,
        });
        insertChained(db, batch, clock.nowMs());
        await yieldToEventLoop();
        insertChained(
          db,
          batch.map((e) => ({ ...e, id: undefined, attemptId: undefined, customerId: twin.id, personId: null })),
          clock.nowMs(),
        );
        await yieldToEventLoop();
      }
      ctx.log(
        `set-up ${((performance.now() - setupStart) / 1000).toFixed(1)} s: ${people} people, ${slots.length} templates on ${readersN} readers, ${events} events; closing the set-up application`,
      );
      await app.close();
      app = undefined;

      // ------------------------------------------------------------ the purge, readers online
      ctx.log('starting the application with the readers online');
      app = await serverContext(env, clock);
      await app.init();
      const manager = app.get(ReaderManager);
      const library = app.get(ReaderLibraryService);
      manager.configureDriver({ baudRate: BAUD });
      await Promise.all(readers.map((r) => manager.whenReady(r.id, 60_000)));
      await librarySettled(library, undefined, 120_000);
      ctx.log('readers ready; purging');
      const onFlash = devices.reduce((n, d) => n + d.library().length, 0);
      if (onFlash !== slots.length) throw new Error(`readers hold ${onFlash} templates before the purge, expected ${slots.length}`);
      const eraser = app.get(ErasureService);
      eraser.pollMs = 100;
      await app.get(CustomerService).update(customer.id, { serviceEnd: new Date(endOfService).toISOString() });

      // Badge-in shares this event loop: how long does the purge hold it at a time?
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const started = performance.now();
      const job = await eraser.startCustomerPurge(customer.id, 'manual', { actorType: 'system', actorId: null, role: null });
      await waitForErasure(eraser, job.id, ['done'], 60 * 60_000);
      const total = performance.now() - started;
      loop.disable();
      const left = devices.reduce((n, d) => n + d.library().length, 0);
      if (left !== 0) throw new Error(`${left} templates left on the readers`);
      const [certRow] = await eraser.certificates({ customerId: customer.id });
      const cert = await eraser.certificate(certRow.id);
      const body = cert.body as {
        steps: Record<string, { startedAt: string; finishedAt: string | null }>;
        physical: { clean: boolean; files: Array<{ file: string; bytes: number }>; checkpointMs: number; scanMs: number };
        counts: Record<string, number>;
      };
      if (!cert.valid || !body.physical.clean) throw new Error('certificate invalid or scan not clean');
      const stepMs = (s: string) => {
        const v = body.steps[s];
        return v?.finishedAt ? Date.parse(v.finishedAt) - Date.parse(v.startedAt) : NaN;
      };
      const perReaderBound = wireMs((slots.length / readersN) * VERIFIED_DELETE_BYTES);
      // Raw baselines in the same run: one DELETE of the twin's equal history in a single
      // transaction (same pragmas, secure_delete on), and a plain sequential read of the files.
      const native = nativeSqlite(app.get(DataSource));
      const t0 = performance.now();
      native.transaction(() => native.prepare('DELETE FROM access_event WHERE customer_id = ?').run(twin.id))();
      const rawHistory = performance.now() - t0;
      native.pragma('wal_checkpoint(TRUNCATE)');
      // The plain read runs in another process, timed there: closing a descriptor of these files
      // in this one (which hosts the server) would drop SQLite's locks (sqlite.org/howtocorrupt.html 2.2).
      const dbPath = join(dataDir, 'acs.sqlite');
      const reader = `const fs = require('node:fs'); const t0 = performance.now(); const buf = Buffer.allocUnsafe(8 << 20);
        for (const f of process.argv.slice(1)) { if (!fs.existsSync(f)) continue; const fd = fs.openSync(f, 'r'); while (fs.readSync(fd, buf, 0, buf.length, null) > 0); fs.closeSync(fd); }
        process.stdout.write(String(performance.now() - t0));`;
      const rawRead = Number(execFileSync(process.execPath, ['-e', reader, dbPath, `${dbPath}-wal`, `${dbPath}-shm`]).toString());
      ctx.log(`counts ${JSON.stringify(body.counts)}; db file ${body.physical.files[0].bytes} bytes after the purge`);
      const figures: Figure[] = [
        // The sum of the floors: the readers work in parallel (one reader's verified deletes), the
        // history and the scan one after the other.
        { name: 'purge total (against the sum of its floors)', value: total, unit: 'ms', baseline: perReaderBound + rawHistory + rawRead, better: 'lower' },
        { name: 'step 1 readers (DeletChar+verify, all readers)', value: stepMs('readers'), unit: 'ms', baseline: perReaderBound, better: 'lower' },
        { name: 'step 2 server rows (templates, people, contact)', value: stepMs('server_data'), unit: 'ms' },
        { name: `step 3 history (${events} events deleted)`, value: stepMs('history'), unit: 'ms', baseline: rawHistory, better: 'lower' },
        { name: 'step 4 key destroyed', value: stepMs('key'), unit: 'ms' },
        { name: 'step 5 checkpoint(TRUNCATE) + byte scan', value: stepMs('physical'), unit: 'ms' },
        { name: '  of which checkpoint(TRUNCATE)', value: body.physical.checkpointMs, unit: 'ms' },
        {
          name: `  of which byte scan (${(body.physical.files.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(0)} MB)`,
          value: body.physical.scanMs,
          unit: 'ms',
          baseline: rawRead,
          better: 'lower',
        },
        { name: 'step 6 certificate', value: stepMs('certificate'), unit: 'ms' },
        { name: 'event-loop delay during the purge, p99', value: loop.percentile(99) / 1e6, unit: 'ms' },
        { name: 'event-loop delay during the purge, max', value: loop.max / 1e6, unit: 'ms' },
      ];
      return figures;
    } finally {
      await app?.close();
      await Promise.all(servers.map((s) => s.close()));
    }
  },
};

export default bench;
