import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { indexSnapshot } from '@acs/access-rules';
import { AccessLogExporter, AccessLogService, type AccessEventInput } from '@acs/access-log';
import { SystemClock } from '@acs/clock';
import { FingerprintTemplateEntity, ReaderLibraryService, ReaderOpEntity, ReaderSlotEntity } from '@acs/reader-fleet';
import { AccessService, DeviceService, RegistryChanges, RegistrySnapshotService, SiteService } from '@acs/registry';
// Relative imports: the build's alias rewriting does not handle the /testing sub-path.
import { generateEvents } from '../../libs/access-log/src/testing/index.js';
import { freePort } from '../../libs/mqtt/src/testing/index.js';
import { summarise, type BenchContext, type Figure } from './harness.js';
import { serverContext, setUpContext } from './setup-context.js';
import { sealedTemplate } from './sealed-template.js';

const TEMPLATE_SIZE = 1536;
/**
 * One template stored on an R503 at 57,600 baud: DownChar with 12 data packets of 128 bytes
 * (12 × 139 bytes with header, address, PID, length and checksum) plus its command and ACK, and
 * StoreChar with its ACK (datasheet §5: packet format; docs/r503-protocol.md). The
 * fingerprint-transfer benchmark measures the same bound against the virtual module.
 */
const STORE_WIRE_BYTES = 12 * 139 + 13 + 12 + 15 + 12;
const STORE_WIRE_MS = (STORE_WIRE_BYTES * 10 * 1000) / 57_600;
/**
 * The rows a registry snapshot is built from, read raw on the server's connection: the floor of a
 * rebuild (the same tables and columns as loadSnapshot in @acs/registry).
 */
export const SNAPSHOT_ROWS = [
  'SELECT id, service_start, service_end, purged_at FROM customer',
  'SELECT id, customer_id, status, valid_from, valid_until, escort_person_id FROM person',
  'SELECT * FROM schedule',
  'SELECT id, schedule_id FROM access_level',
  'SELECT * FROM access_grant',
  'SELECT * FROM zone',
  'SELECT d.*, z.site_id FROM door d JOIN zone z ON z.id = d.zone_id',
  'SELECT access_level_id, zone_id FROM access_level_zone',
  'SELECT access_level_id, door_id FROM access_level_door',
];

/** Between synchronous bulk inserts: the embedded broker must keep the server's session alive. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The real server (`dist/apps/server/src/main.js`) started on the seeded data in a process of its
 * own: time until GET /health answers 200, and its resident memory then (Linux /proc). Its own
 * process, so the figure holds none of the set-up's memory. It runs until `stop()`.
 */
export async function startServer(env: Record<string, string>): Promise<{ ms: number; rssMb: number; heapNote: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../../apps/server/src/main.js', import.meta.url));
  const t0 = performance.now();
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env, HTTP_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    for (;;) {
      const code = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
      if (code !== undefined) throw new Error(`the server exited (${code}) before answering: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() - t0 > 10 * 60_000) throw new Error('the server did not answer /health within 10 minutes');
    }
    const ms = performance.now() - t0;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { ms, rssMb: rssKb / 1024, heapNote: `peak resident ${(hwmKb / 1024).toFixed(0)} MB`, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What differs between the engines: the database, the instances, and the raw floors. */
export interface ScaleEngine {
  /** The settings of the set-up context and of the measured one (the first instance). */
  env: Record<string, string>;
  /** The instances the door readers' preferred hosts are spread over (none: the server's own). */
  hosts?: readonly string[];
  /** `?` for SQLite, `$n` for PostgreSQL: the placeholder of the n-th (1-based) parameter. */
  placeholder(n: number): string;
  /** Writes the history fixture in chunks, chained as the service chains it; `done` restores what the writer changed. */
  historyWriter(ds: DataSource): { write(batch: AccessEventInput[], recordedAt: number): Promise<void>; done(): Promise<void> };
  /**
   * The real server started in processes of its own on the fixture: the slowest start-up to
   * /health, and resident memory. Those still running at `stop` run beside the measured context.
   */
  startServers(): Promise<{ ms: number; rssMb: number; note: string; stop(): Promise<void> }>;
  /** One raw read of the rows a registry snapshot is built from ({@link SNAPSHOT_ROWS}). */
  rawSnapshot(ds: DataSource): () => Promise<void>;
  /** One customer's whole history read raw, newest first: the number of rows. */
  rawHistoryRows(ds: DataSource, customerId: string): Promise<number>;
}

/**
 * Scale figures (issue 24, "report, with the limit that breaks first"): 20,000 people of 20
 * customers, 40,000 templates, 250 doors with 500 door readers whose libraries hold their doors'
 * people, 10,000,000 history events (quick: 1,000 people, 50 readers, 200,000 events). Set-up
 * writes the rows directly (except people, created through the service so that their name index
 * is real); every measured step goes through the product:
 *
 * - start-up of the real server process on that data, and its resident memory;
 * - one grant through the service (its reader-capacity check reads the whole registry), the
 *   registry snapshot rebuilt after it and the badge-in index over it: the first badge-in after
 *   any registry change waits for both;
 * - the library plan each change causes (one write transaction: every other write waits for it);
 * - a hall granted to a whole customer of 1,000 people in one grant, to a door whose two readers
 *   hold 3,000 templates, the plan it causes and the wire time of the stores it queues (each
 *   reader on its own line; an R503 holds 200 templates, so this door needs a larger module);
 * - the first history page and the export of one customer over the whole history, against a raw
 *   SELECT of the same rows.
 *
 * Readers stay offline (no 500 virtual modules): what is measured is the server's work. The
 * engines (scale.bench.ts: one server on SQLite; scale-pg.bench.ts: five instances on
 * PostgreSQL) differ only in what {@link ScaleEngine} says.
 */
export async function runScale(ctx: BenchContext, engine: ScaleEngine): Promise<Figure[]> {
  const customersN = ctx.quick ? 5 : 20;
  const perCustomer = ctx.quick ? 200 : 1000;
  const doorsN = ctx.quick ? 25 : 250;
  // BENCH_SCALE_EVENTS=100000: the full registry with a short history, to look at the registry's figures (the history alone takes 20-35 minutes to write).
  const events = Number(process.env.BENCH_SCALE_EVENTS ?? (ctx.quick ? 200_000 : 10_000_000));
  if (!Number.isSafeInteger(events) || events < 100_000)
    throw new RangeError(`BENCH_SCALE_EVENTS must be an integer of at least 100000, got ${process.env.BENCH_SCALE_EVENTS}`);
  const zonesPerCustomer = Math.floor(doorsN / customersN);
  const { env } = engine;
  const clock = new SystemClock();
  let app: INestApplicationContext | undefined;
  let stopServers: (() => Promise<void>) | undefined;
  try {
    // ------------------------------------------------------------ set-up
    const setupStart = performance.now();
    const setup = await setUpContext(env, clock);
    app = setup.app;
    const { ds, sites, devices, access: setupAccess, customers, persons, vault } = setup;
    const site = await sites.createSite({ name: 'SCALE', timeZone: 'Europe/Amsterdam' });
    const doors: Array<{ doorId: string; zoneId: string; readerIds: string[]; levelId: string }> = [];
    for (let d = 0; d < doorsN; d++) {
      const zone = await sites.createZone({ siteId: site.id, name: `Cage ${d}`, kind: 'cage' });
      const readerIds: string[] = [];
      for (const side of ['entry', 'exit'])
        readerIds.push(
          (
            await devices.createReader({
              siteId: site.id,
              name: `Cage ${d} ${side}`,
              model: 'R50x',
              transport: `tcp://127.0.0.1:${1 + 2 * d + readerIds.length}`,
              role: 'door',
              declaredCapacity: 200,
              ...(engine.hosts ? { host: engine.hosts[d % engine.hosts.length] } : {}),
            })
          ).id,
        );
      const door = await devices.createDoor({ zoneId: zone.id, name: `Cage ${d} door`, entryReaderId: readerIds[0], exitReaderId: readerIds[1] });
      const level = await setupAccess.createAccessLevel({ siteId: site.id, name: `Cage ${d} always`, zoneIds: [zone.id] });
      doors.push({ doorId: door.id, zoneId: zone.id, readerIds, levelId: level.id });
    }
    const byCustomer: Array<{ customerId: string; personIds: string[] }> = [];
    // The registry keeps its grant entity to itself: set-up writes the table's rows as SQL.
    const grants: unknown[][] = [];
    const templates: FingerprintTemplateEntity[] = [];
    const templatesOfDoor = doors.map(() => [] as FingerprintTemplateEntity[]);
    // People through the service (their names sealed and indexed as in production), with the
    // change notices held back: each one reloads the whole registry for the badge-in decisions,
    // which made creating 20,000 people one by one quadratic (26 minutes). Nothing in this
    // set-up context decides anything; the measured context loads the registry at start.
    const changes = app.get(RegistryChanges);
    const emit = changes.emit.bind(changes);
    changes.emit = () => undefined;
    for (let c = 0; c < customersN; c++) {
      const customer = await customers.create({ companyName: `Tenant ${c} B.V.`, contractRef: `SCALE-${c}`, serviceStart: '2025-01-01T00:00:00Z' });
      const personIds: string[] = [];
      for (let i = 0; i < perCustomer; i++) {
        const p = await persons.create(customer.id, { fullName: `Scale Person ${c}-${i}` });
        personIds.push(p.id);
        const d = c * zonesPerCustomer + (i % zonesPerCustomer);
        grants.push([randomUUID(), doors[d].levelId, customer.id, p.id, clock.nowMs()]);
        for (const finger of [1, 2]) {
          const id = randomUUID();
          const t = await sealedTemplate(vault, {
            id,
            personId: p.id,
            customerId: customer.id,
            finger,
            template: randomBytes(TEMPLATE_SIZE),
            at: clock.nowMs(),
          });
          templates.push(t);
          templatesOfDoor[d].push(t);
        }
      }
      byCustomer.push({ customerId: customer.id, personIds });
      ctx.log(`customer ${c + 1}/${customersN}: ${perCustomer} people (${((performance.now() - setupStart) / 1000).toFixed(0)} s)`);
    }
    changes.emit = emit;
    const insertAll = async <T extends object>(entity: new () => T, rows: T[]) => {
      for (let i = 0; i < rows.length; i += 500) {
        await ds.transaction((m) => m.getRepository(entity).insert(rows.slice(i, i + 500) as never));
        await yieldToEventLoop();
      }
    };
    for (let i = 0; i < grants.length; i += 500) {
      const chunk = grants.slice(i, i + 500);
      await ds.query(
        `INSERT INTO access_grant (id, access_level_id, customer_id, person_id, created_at) VALUES ${chunk
          .map((_, r) => `(${[1, 2, 3, 4, 5].map((c) => engine.placeholder(r * 5 + c)).join(', ')})`)
          .join(', ')}`,
        chunk.flat(),
      );
      await yieldToEventLoop();
    }
    await insertAll(FingerprintTemplateEntity, templates);
    const slots: ReaderSlotEntity[] = [];
    for (const [d, door] of doors.entries())
      for (const readerId of door.readerIds)
        for (const [slot, t] of templatesOfDoor[d].entries())
          slots.push(
            Object.assign(new ReaderSlotEntity(), {
              readerId,
              slot,
              templateId: t.id,
              personId: t.personId,
              customerId: t.customerId,
              state: 'stored',
              updatedAt: clock.nowMs(),
            }),
          );
    await insertAll(ReaderSlotEntity, slots);
    ctx.log(`registry: ${customersN * perCustomer} people, ${grants.length} grants, ${templates.length} templates, ${slots.length} reader slots`);

    const history = engine.historyWriter(ds);
    const allDoors = doors.map((d) => ({ doorId: d.doorId, zoneId: d.zoneId, readerId: d.readerIds[0] }));
    const startMs = clock.nowMs() - 365 * 86_400_000;
    const stepMs = Math.max(1, Math.floor((365 * 86_400_000) / events));
    for (let done = 0; done < events; done += 100_000) {
      const batch = generateEvents({
        siteId: site.id,
        doors: allDoors,
        customers: byCustomer,
        count: Math.min(100_000, events - done),
        startMs: startMs + done * stepMs,
        stepMs,
        seed: 1 + done,
      });
      await history.write(batch, clock.nowMs());
      await yieldToEventLoop();
      if (done % 1_000_000 === 0) ctx.log(`history: ${done + batch.length} events (${((performance.now() - setupStart) / 1000).toFixed(0)} s)`);
    }
    await history.done();
    ctx.log(`set-up ${((performance.now() - setupStart) / 1000).toFixed(0)} s; closing the set-up application`);
    await app.close();
    app = undefined;

    // ------------------------------------------------------------ start-up and memory
    const started = await engine.startServers();
    stopServers = started.stop;
    ctx.log(`server process: /health after ${started.ms.toFixed(0)} ms, resident ${started.rssMb.toFixed(0)} MB (${started.note})`);

    // ------------------------------------------------------------ the measured application
    app = await serverContext(env, clock);
    await app.init();
    const live = app.get(DataSource);
    const snapshots = app.get(RegistrySnapshotService);
    const library = app.get(ReaderLibraryService);
    const access = app.get(AccessService);
    const grantMs: number[] = [];
    const rebuildMs: number[] = [];
    const indexMs: number[] = [];
    const planMs: number[] = [];
    const someone = byCustomer[0];
    for (let i = 0; i < 7; i++) {
      // A person of customer 0 granted a second cage of that customer (the capacity still fits).
      // Each step alone: the plan a change causes would otherwise run into the next grant.
      await library.plan();
      const t0 = performance.now();
      await access.createGrant({ accessLevelId: doors[(i + 1) % zonesPerCustomer].levelId, customerId: someone.customerId, personId: someone.personIds[i] });
      const t1 = performance.now();
      const snapshot = await snapshots.current();
      const t2 = performance.now();
      indexSnapshot(snapshot);
      const t3 = performance.now();
      await library.plan();
      const t4 = performance.now();
      grantMs.push(t1 - t0);
      rebuildMs.push(t2 - t1);
      indexMs.push(t3 - t2);
      planMs.push(t4 - t3);
    }
    const [grant, rebuild, index, plan] = [grantMs, rebuildMs, indexMs, planMs].map((x) => summarise(x.slice(2)));
    const readSnapshotRows = engine.rawSnapshot(live);
    const rawSnapshotMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await readSnapshotRows();
      rawSnapshotMs.push(performance.now() - t0);
    }
    const rawSnapshot = summarise(rawSnapshotMs.slice(2));
    // Settled: a plan now moves no template, as after most registry changes (a name, a schedule).
    const idlePlanMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await library.plan();
      idlePlanMs.push(performance.now() - t0);
    }
    const idlePlan = summarise(idlePlanMs);
    ctx.log(
      `one grant p50 ${grant.p50.toFixed(0)} ms; snapshot rebuild p50 ${rebuild.p50.toFixed(1)} ms; badge-in index p50 ${index.p50.toFixed(1)} ms; library plan after it p50 ${plan.p50.toFixed(0)} ms`,
    );

    // ------------------------------------------------------------ bulk grant and library plan
    const bulkZone = await app.get(SiteService).createZone({ siteId: site.id, name: 'Bulk hall', kind: 'suite' });
    const bulkReaders: string[] = [];
    for (const side of ['entry', 'exit'])
      bulkReaders.push(
        (
          await app.get(DeviceService).createReader({
            siteId: site.id,
            name: `Bulk hall ${side}`,
            model: 'R50x',
            transport: `tcp://127.0.0.1:${60_000 + bulkReaders.length}`,
            role: 'door',
            declaredCapacity: 3000,
          })
        ).id,
      );
    await app.get(DeviceService).createDoor({ zoneId: bulkZone.id, name: 'Bulk hall door', entryReaderId: bulkReaders[0], exitReaderId: bulkReaders[1] });
    const bulkLevel = await app.get(AccessService).createAccessLevel({ siteId: site.id, name: 'Bulk hall always', zoneIds: [bulkZone.id] });
    await library.plan();
    // The whole of customer 0 (1,000 people) in one grant, as an administrator grants a tenant a hall.
    const opsBefore = await live.getRepository(ReaderOpEntity).count();
    const b0 = performance.now();
    await access.createGrant({ accessLevelId: bulkLevel.id, customerId: byCustomer[0].customerId });
    const bulkGrantMs = performance.now() - b0;
    const p0 = performance.now();
    await library.plan();
    const bulkPlanMs = performance.now() - p0;
    // The plan wrote slot bookkeeping: the next Search hit's lookup waits for the slot map to reload.
    const s0 = performance.now();
    await library.slotOwner(doors[0].readerIds[0], 0);
    const slotReloadMs = performance.now() - s0;
    // An outbox op done on one reader (the worker's write names its reader, as every op's does):
    // the next Search hit there reloads that reader's slots only.
    const store = (library as unknown as { store: { tx(work: () => Promise<void>, readerIds?: readonly string[]): Promise<void> } }).store;
    const oneReaderMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      await store.tx(async () => undefined, [doors[0].readerIds[0]]);
      const r0 = performance.now();
      await library.slotOwner(doors[0].readerIds[0], 0);
      oneReaderMs.push(performance.now() - r0);
    }
    const oneReader = summarise(oneReaderMs.slice(2));
    const newOps = (await live.getRepository(ReaderOpEntity).count()) - opsBefore;
    const perReader = newOps / bulkReaders.length;
    ctx.log(
      `grant of a hall to ${perCustomer} people: ${bulkGrantMs.toFixed(0)} ms; the plan it causes ${bulkPlanMs.toFixed(0)} ms, ${newOps} store operations`,
    );

    // ------------------------------------------------------------ history
    const log = app.get(AccessLogService);
    const exporter = app.get(AccessLogExporter);
    const big = byCustomer[0].customerId;
    const pageMs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await log.findPage({ customerId: big }, { limit: 50 });
      pageMs.push(performance.now() - t0);
    }
    const page = summarise(pageMs.slice(5));
    const r0 = performance.now();
    const rawRows = await engine.rawHistoryRows(live, big);
    const rawMs = performance.now() - r0;
    const e0 = performance.now();
    const out = await exporter.export({ customerId: big }, { format: 'csv' });
    let lines = 0;
    for await (const part of out.stream) {
      const s = String(part);
      for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++;
    }
    const exportMs = performance.now() - e0;
    if (lines - 1 !== rawRows) throw new Error(`export wrote ${lines - 1} rows, raw SELECT ${rawRows}`);
    ctx.log(
      `history page p50 ${page.p50.toFixed(2)} ms; export of ${rawRows} rows ${(exportMs / 1000).toFixed(1)} s, raw SELECT ${(rawMs / 1000).toFixed(1)} s`,
    );

    const people = customersN * perCustomer;
    const readers = doorsN * 2;
    const figures: Figure[] = [
      { name: `server start-up to /health (${people} people, ${readers} readers, ${events} events)`, value: started.ms, unit: 'ms' },
      { name: 'server resident memory after start-up', value: started.rssMb, unit: 'MB' },
      { name: 'one grant through the service p50 (capacity check over the registry)', value: grant.p50, unit: 'ms' },
      {
        name: 'registry snapshot rebuild after a change p50, the first badge-in after it waits (vs raw SELECT of its rows)',
        value: rebuild.p50,
        unit: 'ms',
        baseline: rawSnapshot.p50,
        better: 'lower',
      },
      { name: 'badge-in index over the snapshot p50', value: index.p50, unit: 'ms' },
      { name: 'library plan after one grant p50 (it stores 2 templates on 2 readers)', value: plan.p50, unit: 'ms' },
      { name: 'library plan that moves no template p50 (takes no write)', value: idlePlan.p50, unit: 'ms' },
      { name: `grant of a door to ${perCustomer} people at once (one customer-wide grant)`, value: bulkGrantMs, unit: 'ms' },
      { name: `library plan after it (${perCustomer * 2} stores on each of 2 readers, ${readers + 2} readers in all)`, value: bulkPlanMs, unit: 'ms' },
      { name: `wire time of those stores on each reader's line (57,600 baud)`, value: perReader * STORE_WIRE_MS, unit: 'ms' },
      { name: `slot map reload a Search hit waits for after a library write (${slots.length + newOps} slots)`, value: slotReloadMs, unit: 'ms' },
      { name: 'slot lookup after an outbox op on its reader p50 (that reader reloaded)', value: oneReader.p50, unit: 'ms' },
      { name: `history page 1 p50 (${events} events)`, value: page.p50, unit: 'ms' },
      {
        name: `CSV export rows/s, ${rawRows} rows (vs raw SELECT iterate)`,
        value: rawRows / (exportMs / 1000),
        unit: 'rows/s',
        baseline: rawRows / (rawMs / 1000),
        better: 'higher',
      },
    ];
    return figures;
  } finally {
    await app?.close();
    await stopServers?.();
  }
}
