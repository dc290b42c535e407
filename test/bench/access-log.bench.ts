import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { ACCESS_EVENT_COLUMNS, type AccessEventInput, AccessLogExporter, AccessLogService, accessEventHash, toRow } from '@acs/access-log';
import { AuditService } from '@acs/audit';
import { SystemClock } from '@acs/clock';
import { applySqlitePragmas } from '@acs/database';
import { TenancyDirectory } from '@acs/registry';
import { SCHEMA } from '@acs/schema';
// Relative imports: the build's alias rewriting does not handle the /testing sub-path.
import { createTestDatabase } from '../../libs/database/src/testing/index.js';
import { insertChained } from '../../libs/access-log/src/testing/index.js';
import { startTestApp } from '../support/test-app.js';
import { type Benchmark, type Figure, summarise } from './harness.js';
import { keepAliveClient, startBareNest } from './http-floor.js';

const PAGE = 50;
const COLUMNS = ACCESS_EVENT_COLUMNS.join(', ');

/** `global.gc` without restarting node with --expose-gc (V8 allows the flag at run time). */
function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function timeIt<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

async function samples(n: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(); // warm-up: statement caches, page cache
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Issue 8 figures, each next to a raw better-sqlite3 baseline measured in the same run
 * (docs/measured-baselines.md §History pages: keyset against OFFSET, §Benchmark definitions):
 * - history pages: first page and page 1,000 (50 rows a page) of the largest customer in a log of
 *   1,000,000 events across 100 customers, through AccessLogService, vs the identical raw keyset
 *   SELECT; and page 1,000 ÷ first page (target < 2; both under 10 ms).
 * - CSV export of that customer's 100,000 events (keyset pages, csv-stringify, local times) in
 *   rows/s vs iterating a raw SELECT of the same rows (target >= 0.3); peak memory reported.
 * - a burst of 10,000 events through the server's append() until all are durable vs raw better-sqlite3
 *   inserts of the same rows in 1,000-row transactions at the same durability (target >= 0.5).
 */
const bench: Benchmark = {
  name: 'access history (keyset pages, CSV export, burst ingestion)',
  // A 1M-event log is written first; minutes on a shared 2-vCPU machine.
  deadlineMs: { full: 30 * 60_000 },
  async run(ctx) {
    const total = ctx.quick ? 60_000 : 1_000_000;
    const customers = 100;
    const deepPage = ctx.quick ? 100 : 1000;
    const burst = ctx.quick ? 2_000 : 10_000;
    const reps = ctx.quick ? 50 : 200;

    const db = await createTestDatabase(SCHEMA, { DATABASE_SYNCHRONOUS: 'FULL' });
    const file = join(db.dir, 'acs.sqlite');
    // The whole server on the same file, for the page figures as a client sees them (bearer
    // token check and the audit entry every read of history writes, at synchronous=FULL).
    const app = await startTestApp({ env: { DATA_DIR: db.dir, LOG_LEVEL: 'warn' } });
    try {
      // ------------------------------------------------------------ fixture
      const siteId = uuidv7();
      const created = await app
        .http()
        .post('/customers')
        .set('Authorization', `Bearer ${app.adminToken}`)
        .send({ companyName: 'Bench B.V.', contractRef: 'BENCH-1', serviceStart: '2025-01-01T00:00:00Z' });
      if (created.status !== 201) throw new Error(`could not create the bench customer: ${created.status}`);
      const customerIds = [String((created.body as { id: string }).id), ...Array.from({ length: customers - 1 }, () => uuidv7())];
      const people = customerIds.map(() => Array.from({ length: 20 }, () => uuidv7()));
      const doors = Array.from({ length: 20 }, () => ({ doorId: uuidv7(), zoneId: uuidv7(), readerId: uuidv7() }));
      const big = customerIds[0];
      // Every 10th event is the big customer's: 100,000 of 1,000,000; the rest spread over 99.
      const customerOf = (i: number) => (i % 10 === 0 ? 0 : 1 + (i % 99));
      const start = Date.parse('2025-11-26T00:00:00Z');
      const make = (i: number): AccessEventInput => {
        const c = customerOf(i);
        const door = doors[i % doors.length];
        const denied = i % 11 === 0;
        return {
          customerId: customerIds[c],
          personId: people[c][i % 20],
          siteId,
          ...door,
          direction: 'entry',
          result: denied ? 'denied' : 'granted',
          reason: denied ? 'outside_schedule' : 'granted',
          occurredAt: start + i * 30_000,
        };
      };
      const loader = new Database(file);
      applySqlitePragmas(loader, { synchronous: 'NORMAL', busyTimeoutMs: 5000 });
      loader.pragma('synchronous = OFF'); // fixture only: nothing to lose
      const t0 = performance.now();
      const chunk = 50_000;
      for (let i = 0; i < total; i += chunk) {
        insertChained(
          loader,
          Array.from({ length: Math.min(chunk, total - i) }, (_, k) => make(i + k)),
          start + total * 30_000,
        );
      }
      loader.pragma('wal_checkpoint(TRUNCATE)');
      loader.close();
      const bigCount = Math.ceil(total / 10);
      ctx.log(
        `fixture: ${total} events (${bigCount} for the largest customer) inserted raw with chain hashes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );

      const log = new AccessLogService(db.dataSource, db.writes, new SystemClock(), db.config, new TenancyDirectory(db.dataSource));
      const exporter = new AccessLogExporter(log);
      const raw = new Database(file);
      applySqlitePragmas(raw, { synchronous: 'FULL', busyTimeoutMs: 5000 });
      const figures: Figure[] = [];

      // ------------------------------------------------------------ pages
      let cursor: string | undefined;
      let deepKey: { t: number; id: string } | undefined;
      for (let p = 1; p < deepPage; p++) {
        const page = await log.findPage({ customerId: big }, { cursor, limit: PAGE });
        cursor = page.nextCursor;
        const last = page.items[page.items.length - 1];
        deepKey = { t: last.occurredAt, id: last.id };
      }
      if (!cursor || !deepKey) throw new Error('fixture too small for the deep page');
      const deepCursor = cursor;
      const firstApp = summarise(await samples(reps, () => log.findPage({ customerId: big }, { limit: PAGE })));
      const deepApp = summarise(await samples(reps, () => log.findPage({ customerId: big }, { cursor: deepCursor, limit: PAGE })));
      const firstStmt = raw.prepare(`SELECT ${COLUMNS} FROM access_event WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?`);
      const deepStmt = raw.prepare(
        `SELECT ${COLUMNS} FROM access_event WHERE customer_id = ? AND (occurred_at, id) < (?, ?) ORDER BY occurred_at DESC, id DESC LIMIT ?`,
      );
      const firstRaw = summarise(await samples(reps, () => firstStmt.all(big, PAGE + 1)));
      const deepRaw = summarise(await samples(reps, () => deepStmt.all(big, deepKey.t, deepKey.id, PAGE + 1)));
      const offsetStmt = raw.prepare(`SELECT ${COLUMNS} FROM access_event WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?`);
      const offsetRaw = summarise(await samples(Math.min(reps, 50), () => offsetStmt.all(big, PAGE + 1, (deepPage - 1) * PAGE)));
      const plan = raw
        .prepare(
          `EXPLAIN QUERY PLAN SELECT ${COLUMNS} FROM access_event WHERE customer_id = ? AND (occurred_at, id) < (?, ?) ORDER BY occurred_at DESC, id DESC LIMIT 51`,
        )
        .all(big, 0, '') as Array<{ detail: string }>;
      ctx.log(`keyset plan: ${plan.map((p) => p.detail).join('; ')}`);
      ctx.log(
        `page 1 p50/p99 ${firstApp.p50.toFixed(3)}/${firstApp.p99.toFixed(3)} ms; page ${deepPage} p50/p99 ${deepApp.p50.toFixed(3)}/${deepApp.p99.toFixed(3)} ms (target: both < 10 ms)`,
      );
      ctx.log(`raw OFFSET ${(deepPage - 1) * PAGE} p50 ${offsetRaw.p50.toFixed(3)} ms vs raw keyset ${deepRaw.p50.toFixed(3)} ms`);
      figures.push(
        { name: 'history page 1 p50 (service vs raw SELECT)', value: firstApp.p50, unit: 'ms', baseline: firstRaw.p50, better: 'lower' },
        { name: `history page ${deepPage} p50 (service vs raw SELECT)`, value: deepApp.p50, unit: 'ms', baseline: deepRaw.p50, better: 'lower' },
        { name: `history page ${deepPage} p99 (service vs raw SELECT)`, value: deepApp.p99, unit: 'ms', baseline: deepRaw.p99, better: 'lower' },
        { name: `history page ${deepPage} ÷ page 1 (p50)`, value: deepApp.p50, unit: 'ms', baseline: firstApp.p50, better: 'lower', target: 2 },
      );

      // Over HTTP, on one kept-alive connection, against three floors measured interleaved (one
      // sample of each in turn, so the load of the shared machine moves all alike): the service
      // call; the service call plus the durable audit entry that the route writes before it
      // answers (one commit at synchronous=FULL, which no layer can remove); and a bare Nest
      // route serving the same page (Express, routing, JSON, the socket, nothing of ours).
      await app.app.listen(0, '127.0.0.1');
      const client = keepAliveClient((app.app.getHttpServer().address() as AddressInfo).port);
      const bare = await startBareNest((customerId, limit) => log.findPage({ customerId }, { limit }));
      const bareClient = keepAliveClient(bare.port);
      const audit = app.app.get(AuditService);
      const auth = { authorization: `Bearer ${app.adminToken}` };
      const expectPage = (res: { status: number; body: string }, what: string) => {
        if (res.status !== 200 || (JSON.parse(res.body) as { items: unknown[] }).items.length !== PAGE) throw new Error(`${what}: ${res.status}`);
      };
      const steps = {
        service: () => log.findPage({ customerId: big }, { limit: PAGE }),
        serviceDeep: () => log.findPage({ customerId: big }, { cursor: deepCursor, limit: PAGE }),
        serviceAudited: async () => {
          await log.requireCustomer(big);
          await log.findPage({ customerId: big }, { limit: PAGE });
          await audit.record({
            actor: { actorType: 'staff', actorId: 'bench', role: 'admin' },
            action: 'access_event.list',
            targetType: 'customer',
            targetId: big,
            outcome: 'success',
          });
        },
        bare: async () => expectPage(await bareClient.get(`/bare/${big}/access-events?limit=${PAGE}`), 'bare route'),
        http: async () => expectPage(await client.get(`/customers/${big}/access-events?limit=${PAGE}`, auth), 'history page over HTTP'),
        httpDeep: async () =>
          expectPage(await client.get(`/customers/${big}/access-events?limit=${PAGE}&cursor=${encodeURIComponent(deepCursor)}`, auth), 'deep page over HTTP'),
      };
      const httpReps = Math.min(reps, 100);
      const taken = Object.fromEntries(Object.keys(steps).map((k) => [k, [] as number[]])) as Record<keyof typeof steps, number[]>;
      for (let i = 0; i < httpReps + 20; i++) {
        for (const [k, step] of Object.entries(steps) as Array<[keyof typeof steps, () => Promise<unknown>]>) {
          const t0 = performance.now();
          await step();
          if (i >= 20) taken[k].push(performance.now() - t0); // the first 20: warm-up
        }
      }
      bareClient.close();
      client.close();
      await bare.app.close();
      const [svc, svcDeep, svcAudited, bareHttp, firstHttp, deepHttp] = [
        taken.service,
        taken.serviceDeep,
        taken.serviceAudited,
        taken.bare,
        taken.http,
        taken.httpDeep,
      ].map(summarise);
      ctx.log(
        `over HTTP (token check + audit entry at FULL, kept-alive connection): page 1 p50/p99 ${firstHttp.p50.toFixed(2)}/${firstHttp.p99.toFixed(2)} ms; page ${deepPage} ${deepHttp.p50.toFixed(2)}/${deepHttp.p99.toFixed(2)} ms; ` +
          `service ${svc.p50.toFixed(3)} ms, service + audit entry ${svcAudited.p50.toFixed(3)} ms, bare Nest route ${bareHttp.p50.toFixed(2)} ms (p50)`,
      );
      figures.push(
        { name: 'history page 1 over HTTP p50 (vs service)', value: firstHttp.p50, unit: 'ms', baseline: svc.p50, better: 'lower', target: 3 },
        { name: 'history page 1 over HTTP p50 (vs service + audit entry)', value: firstHttp.p50, unit: 'ms', baseline: svcAudited.p50, better: 'lower' },
        { name: 'history page 1 over HTTP p50 (vs bare Nest route)', value: firstHttp.p50, unit: 'ms', baseline: bareHttp.p50, better: 'lower' },
        { name: 'bare Nest route p50 (vs service)', value: bareHttp.p50, unit: 'ms', baseline: svc.p50, better: 'lower' },
        { name: `history page ${deepPage} over HTTP p50 (vs service)`, value: deepHttp.p50, unit: 'ms', baseline: svcDeep.p50, better: 'lower', target: 3 },
        { name: `HTTP page ${deepPage} ÷ page 1 (p50)`, value: deepHttp.p50, unit: 'ms', baseline: firstHttp.p50, better: 'lower', target: 2 },
      );

      // ------------------------------------------------------------ export
      const rawSelect = raw.prepare(`SELECT ${COLUMNS} FROM access_event WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC`);
      const rawScan = () => {
        let n = 0;
        for (const _row of rawSelect.iterate(big)) n++;
        return n;
      };
      rawScan(); // warm the page cache for both sides
      const [rawRows, rawMs] = timeIt(rawScan);
      const exportOnce = async (filter: { customerId: string; from?: number }, measureMemory: boolean) => {
        // Retained memory, not garbage waiting for a collection: collect before sampling.
        const gc = measureMemory ? forceGc() : undefined;
        gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        let peakHeap = heapBefore;
        let chunks = 0;
        const e0 = performance.now();
        const out = await exporter.export(filter, { format: 'csv' });
        let bytes = 0;
        let lines = 0;
        for await (const part of out.stream) {
          const s = String(part);
          bytes += s.length;
          for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++;
          if (gc && ++chunks % 2 === 0) {
            gc();
            peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
          }
        }
        return { ms: performance.now() - e0, rows: lines - 1, total: out.total, bytes, heapGrowthMb: (peakHeap - heapBefore) / 1e6 };
      };
      const full = await exportOnce({ customerId: big }, false);
      if (full.rows !== rawRows || full.total !== rawRows) throw new Error(`export wrote ${full.rows} rows, raw SELECT ${rawRows}, announced ${full.total}`);
      // Memory in separate runs: a tenth of the rows, then all. Proportional memory would differ tenfold.
      const smallMem = await exportOnce({ customerId: big, from: start + Math.floor(total * 0.9) * 30_000 }, true);
      const fullMem = await exportOnce({ customerId: big }, true);
      ctx.log(
        `CSV export: ${rawRows} rows, ${(full.bytes / 1e6).toFixed(1)} MB in ${full.ms.toFixed(0)} ms; raw SELECT ${rawMs.toFixed(0)} ms; ` +
          `peak retained heap growth ${fullMem.heapGrowthMb.toFixed(2)} MB (${smallMem.heapGrowthMb.toFixed(2)} MB exporting ${smallMem.rows} rows)`,
      );
      figures.push(
        {
          name: 'CSV export rows/s (vs raw SELECT iterate)',
          value: rawRows / (full.ms / 1000),
          unit: 'rows/s',
          baseline: rawRows / (rawMs / 1000),
          better: 'higher',
          target: 0.3,
        },
        { name: 'CSV export peak retained heap growth', value: fullMem.heapGrowthMb, unit: 'MB' },
      );

      // ------------------------------------------------------------ burst ingestion
      const burstInputs = Array.from({ length: burst }, (_, i) => ({ ...make(i), occurredAt: Date.now() + i }));
      const rawBurst = burstInputs.map((e, i) => {
        const id = uuidv7();
        const fields = {
          id,
          chainId: `bench-raw:${e.customerId}`,
          seq: i + 1,
          customerId: e.customerId,
          personId: e.personId ?? null,
          siteId: e.siteId,
          zoneId: e.zoneId ?? null,
          doorId: e.doorId ?? null,
          readerId: e.readerId ?? null,
          direction: e.direction,
          result: e.result,
          reason: e.reason,
          kind: 'attempt',
          attemptId: id,
          occurredAt: e.occurredAt,
          recordedAt: Date.now(),
          prevHash: '0'.repeat(64),
          credential: null,
          degraded: false,
        } as const;
        return toRow({ ...fields, hash: accessEventHash(fields) });
      });
      const insert = raw.prepare(`INSERT INTO access_event (${COLUMNS}) VALUES (${ACCESS_EVENT_COLUMNS.map(() => '?').join(', ')})`);
      const insertMany = raw.transaction((rows: (string | number | null)[][]) => {
        for (const r of rows) insert.run(r);
      });
      const [, rawInsertMs] = timeIt(() => {
        for (let i = 0; i < rawBurst.length; i += 1000) insertMany(rawBurst.slice(i, i + 1000));
      });
      raw.close();

      // Through the server's own access log: its write queue commits at NORMAL and syncs the WAL
      // off the event loop before a receipt settles (the same durability as the raw FULL commits).
      // The service built on the bench's connection above has a bare write queue that commits at
      // FULL on the loop, which no server runs with.
      const served = app.app.get(AccessLogService);
      const b0 = performance.now();
      const receipts = served.append(burstInputs);
      const callerMs = performance.now() - b0;
      await Promise.all(receipts.map((r) => r.durable));
      const burstMs = performance.now() - b0;
      ctx.log(
        `burst of ${burst}: append() returned in ${callerMs.toFixed(1)} ms, all durable after ${burstMs.toFixed(0)} ms; raw inserts ${rawInsertMs.toFixed(0)} ms`,
      );
      figures.push(
        {
          name: 'burst ingestion events/s (vs raw batched inserts)',
          value: burst / (burstMs / 1000),
          unit: 'rows/s',
          baseline: burst / (rawInsertMs / 1000),
          better: 'higher',
          target: 0.5,
        },
        { name: `append() time for ${burst} events (caller)`, value: callerMs, unit: 'ms' },
      );

      const [verdict, verifyMs] = await (async () => {
        const v0 = performance.now();
        const v = await log.verify(big);
        return [v, performance.now() - v0] as const;
      })();
      if (!verdict.ok) throw new Error(`chain of the fixture customer does not verify: ${JSON.stringify(verdict.firstBreak)}`);
      ctx.log(`verify: ${verdict.checked} events of one customer in ${verifyMs.toFixed(0)} ms`);
      return figures;
    } finally {
      await app.close();
      await db.close();
    }
  },
};

export default bench;
