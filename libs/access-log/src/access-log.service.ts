import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { type DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Clock, doorsFirst } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { DatabaseHealth, readRows, WriteQueue } from '@acs/database';
import { decodeCursor, DomainError, encodeCursor, NotFoundError } from '@acs/http';
import { TenancyDirectory, type CustomerTerm } from '@acs/registry';
import { AccessChainVerifier, type AccessChainVerdict } from './access-chain.js';
import { ACCESS_EVENT_COLUMNS, AccessEventEntity } from './access-event.entity.js';
import { Batcher, ItemFailure } from './batcher.js';
import { type AccessCredential, type AccessEvent, type AccessEventInput, type AccessEventKind, type AccessResult, type AppendFenceRef } from './model.js';
import { type AccessLogRetentionPolicy, DEFAULT_RETENTION_POLICY, retentionState, type RetentionStatus } from './retention.js';
import { AccessEventTap } from './access-event-tap.js';
import { ChainWriter } from './chain-writer.js';
import { fenceOf, prepareEvent, type PreparedEvent, type QueuedEvent } from './event-input.js';
import { AccessLogSpool } from './spool/access-log-spool.js';
import { replaySpooled, spoolEvents } from './spool/spool-bridge.js';
import { degradedRoute, type DegradedRoute } from './spool/degraded-route.js';
import type { SpooledEvent } from './spool/event-spool.js';

export const ACCESS_LOG_OPTIONS = Symbol('ACCESS_LOG_OPTIONS');

/**
 * Port: which fences are no longer current. The cluster's device leases answer it inside the
 * append's transaction (holding the lease rows until commit on PostgreSQL), so an append and a
 * takeover are ordered: the event is written before the new holder's token exists, or refused.
 */
export interface AppendFence {
  stale(m: EntityManager, fences: readonly AppendFenceRef[]): Promise<Set<string>>;
}
export const ACCESS_LOG_FENCE = Symbol('ACCESS_LOG_FENCE');

export interface AccessLogOptions {
  /** Largest batch written in one commit. */
  maxBatch: number;
  /**
   * Longest an event waits for others before its batch is written. Default 0 (group commit, see
   * {@link Batcher}): a badge-in's event is committed at the next turn of the event loop rather
   * than after a fixed window, and events that arrive during a commit share the next one, so
   * bursts still batch. The 2 ms window it replaced was most of a lone badge-in's latency.
   */
  maxDelayMs: number;
  retention: AccessLogRetentionPolicy;
  /**
   * Write batches through better-sqlite3's own prepared statements (one synchronous transaction,
   * nothing can interleave) when the driver is better-sqlite3. `false` forces the portable
   * TypeORM path (PostgreSQL later; tested on SQLite too).
   */
  nativeSqlite: boolean;
}

export const DEFAULT_ACCESS_LOG_OPTIONS: AccessLogOptions = { maxBatch: 500, maxDelayMs: 0, retention: DEFAULT_RETENTION_POLICY, nativeSqlite: true };

export interface AppendReceipt {
  id: string;
  attemptId: string;
  /** Settles when the event is committed (synchronous=FULL: survives power loss) or failed. */
  durable: Promise<AccessEvent>;
}

export interface AccessEventFilter {
  customerId?: string;
  personId?: string;
  doorId?: string;
  zoneId?: string;
  siteId?: string;
  result?: AccessResult;
  reason?: string;
  kind?: AccessEventKind;
  /** Inclusive lower bound on `occurredAt` (epoch ms). */
  from?: number;
  /** Exclusive upper bound on `occurredAt` (epoch ms). */
  to?: number;
}

export interface AccessEventPage {
  items: AccessEvent[];
  nextCursor?: string;
}

export interface DoorDayTotal {
  /** Local calendar day at the door's site, `YYYY-MM-DD`. */
  date: string;
  siteId: string;
  doorId: string | null;
  granted: number;
  denied: number;
}

export interface AccessTotals {
  from: number;
  to: number;
  /** Time zone of each site that has events in the period. */
  timeZones: Record<string, string>;
  days: DoorDayTotal[];
}

const MAX_TOTALS_DAYS = 366;
const CURSOR_SHAPE = { t: 'number', id: 'string' } as const;

export type RawRow = Record<string, string | number | null>;

/** The filters that are equalities, with their columns. */
const FILTER_COLUMNS: ReadonlyArray<readonly [Exclude<keyof AccessEventFilter, 'from' | 'to'>, string]> = [
  ['customerId', 'customer_id'],
  ['personId', 'person_id'],
  ['doorId', 'door_id'],
  ['zoneId', 'zone_id'],
  ['siteId', 'site_id'],
  ['result', 'result'],
  ['reason', 'reason'],
  ['kind', 'kind'],
];

/**
 * Index entries a step of {@link AccessLogService.count} walks before the event loop gets a turn.
 * A step's cost grows with its length: 20,000 held the loop 20-35 ms a step at the start of an
 * export (`npm run bench -- badge-in-load`, the export's first stalls); 5,000 is a quarter of that.
 */
const COUNT_STEP = 5_000;

/** The WHERE clause of a filtered read (and the keyset position below which it starts). */
function whereOf(filter: AccessEventFilter, after?: { t: number; id: string }): { where: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  for (const [key, column] of FILTER_COLUMNS) {
    const value = filter[key];
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  if (filter.from !== undefined) {
    where.push('occurred_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('occurred_at < ?');
    params.push(filter.to);
  }
  if (after) {
    where.push('(occurred_at, id) < (?, ?)');
    params.push(after.t, after.id);
  }
  return { where: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', params };
}

function fromRaw(r: RawRow): AccessEvent {
  const s = (v: string | number | null) => (v === null ? null : String(v));
  return {
    id: String(r.id),
    chainId: String(r.chain_id),
    seq: Number(r.seq),
    customerId: s(r.customer_id),
    personId: s(r.person_id),
    siteId: String(r.site_id),
    zoneId: s(r.zone_id),
    doorId: s(r.door_id),
    readerId: s(r.reader_id),
    direction: String(r.direction) as AccessEvent['direction'],
    result: String(r.result) as AccessResult,
    reason: String(r.reason),
    kind: String(r.kind) as AccessEventKind,
    attemptId: String(r.attempt_id),
    occurredAt: Number(r.occurred_at),
    recordedAt: Number(r.recorded_at),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    credential: s(r.credential) as AccessCredential | null,
    // SQLite answers 0/1, PostgreSQL a boolean.
    degraded: (r.degraded as unknown) === true || Number(r.degraded) === 1,
  };
}

/**
 * The access history: an append-only log of access events, hash-chained per customer (and per
 * site for attempts without a customer), with filtered keyset queries, totals, verification and
 * retention status. Exports live in {@link AccessLogExporter}.
 */
@Injectable()
export class AccessLogService implements OnModuleDestroy {
  private readonly logger = new Logger('AccessLog');
  private readonly options: AccessLogOptions;
  private readonly batcher: Batcher<QueuedEvent, AccessEvent>;
  private readonly writer: ChainWriter;
  private readonly batchObservers = new Set<(size: number, commitMs: number) => void>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly tenancy: TenancyDirectory,
    @Optional() @Inject(ACCESS_LOG_OPTIONS) options?: Partial<AccessLogOptions>,
    @Optional() @Inject(ACCESS_LOG_FENCE) private readonly fence?: AppendFence,
    @Optional() private readonly health?: DatabaseHealth,
    @Optional() private readonly spool?: AccessLogSpool,
    @Optional() tap?: AccessEventTap,
  ) {
    this.options = { ...DEFAULT_ACCESS_LOG_OPTIONS, ...options };
    this.writer = new ChainWriter(dataSource, writes, clock, this.options.nativeSqlite, this.logger, fence, tap);
    this.batcher = new Batcher({
      maxBatch: this.options.maxBatch,
      maxDelayMs: this.options.maxDelayMs,
      flush: (events) => this.timedBatch(events),
      onError: (err, size) => this.logger.error({ err, size }, 'access events could not be written'),
    });
  }

  get retentionPolicy(): AccessLogRetentionPolicy {
    return this.options.retention;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Queues events for the next batch and returns at once, so the caller (the badge-in engine)
   * is never delayed by a commit. Each receipt carries the event id (known before the write,
   * e.g. to correlate a follow-up) and a promise that settles when the event is durable. A
   * caller that must not act before the event is on disk (unlock after a grant) awaits it.
   * Invalid events are refused synchronously with `access_log.invalid_event`.
   */
  append(inputs: readonly AccessEventInput[]): AppendReceipt[] {
    const prepared = inputs.map((i) => ({ event: prepareEvent(i), fence: fenceOf(i) }));
    const route = this.route();
    if (route !== 'central') {
      // Degraded mode (docs/failover.md): committed to the local spool before this returns, or refused.
      let outcome: Promise<AccessEvent[]>;
      try {
        outcome = Promise.resolve(route === 'spool' ? this.spoolEvents(prepared.map((p) => p.event)) : Promise.reject(this.refusal()));
      } catch (err) {
        this.logger.error({ err }, 'access events could not be spooled');
        outcome = Promise.reject(new DomainError('access_log.write_failed', 'the access event could not be written', 503));
      }
      outcome.catch(() => undefined);
      return prepared.map((p, i) => ({ id: p.event.id, attemptId: p.event.attemptId, durable: outcome.then((events) => events[i]) }));
    }
    return prepared.map((p) => ({ id: p.event.id, attemptId: p.event.attemptId, durable: this.batcher.push(p) }));
  }

  /** Where the next event goes: the central history, the spool (degraded mode) or nowhere. */
  route(): DegradedRoute {
    const spool = this.spool?.spool;
    if (!this.health) return 'central';
    return degradedRoute({
      windowS: spool ? this.spool!.windowS : 0,
      degradedSince: this.health.degradedSince,
      now: this.clock.nowMs(),
      spooled: spool?.size ?? 0,
    });
  }

  private refusal(): DomainError {
    const ageS = Math.floor((this.health?.ageMs() ?? 0) / 1000);
    this.logger.warn(`access event refused: the database has been unreachable for ${ageS} s, beyond the degraded window (fail secure)`);
    return new DomainError('access_log.degraded_window_over', 'the database is unreachable and the degraded window is over: nothing is recorded', 503, {
      degradedSinceSeconds: ageS,
    });
  }

  /** Commits events to the spool (degraded mode), durable on return: see {@link spoolEvents}. */
  private spoolEvents(events: PreparedEvent[]): AccessEvent[] {
    const spool = this.spool?.spool;
    if (!spool) throw new Error('no spool');
    return spoolEvents(spool, events, this.clock.nowMs());
  }

  /** Replays spooled events into the central history exactly once; for the spool replayer only. */
  replaySpooled(records: readonly SpooledEvent[]): Promise<{ written: number; skipped: number }> {
    return replaySpooled(records, { writes: this.writes, writer: this.writer, clock: this.clock, logger: this.logger });
  }

  /** Appends and waits until every event is durable. */
  async appendDurable(inputs: readonly AccessEventInput[]): Promise<AccessEvent[]> {
    return Promise.all(this.append(inputs).map((r) => r.durable));
  }

  /** Events accepted but not yet committed (metrics, readiness, back-pressure decisions). */
  get pending(): number {
    return this.batcher.waiting;
  }

  /** Reports each written batch's size and commit time (metrics); returns the unsubscribe. */
  observeBatches(observer: (size: number, commitMs: number) => void): () => void {
    this.batchObservers.add(observer);
    return () => this.batchObservers.delete(observer);
  }

  private async timedBatch(events: QueuedEvent[]): Promise<Array<AccessEvent | ItemFailure>> {
    const started = performance.now();
    try {
      return await this.writeBatch(events);
    } finally {
      for (const o of this.batchObservers) o(events.length, performance.now() - started);
    }
  }

  /** Writes everything queued so far (shutdown, tests). */
  flush(): Promise<void> {
    return this.batcher.drain();
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.drain();
  }

  /**
   * One commit per batch; chain heads are read inside it so the chain is right however many
   * writers. If the batch fails (say one event reuses an id), each event is retried alone so
   * one bad event cannot take the durability of the others down with it.
   */
  private async writeBatch(events: QueuedEvent[]): Promise<Array<AccessEvent | ItemFailure>> {
    try {
      const written = await this.writer.write(events);
      this.health?.noteSuccess();
      return written;
    } catch (err) {
      // The database went away under this batch: within the window its events go to the spool
      // (the replay skips any the database did commit before the connection dropped).
      if (this.health?.noteFailure(err) && this.route() === 'spool') {
        this.logger.warn({ size: events.length }, 'access event batch failed: database unreachable; events spooled (degraded mode)');
        return this.spoolEvents(events.map((q) => q.event));
      }
      if (events.length > 1) this.logger.warn({ err, size: events.length }, 'access event batch failed; writing its events one by one');
      const out: Array<AccessEvent | ItemFailure> = [];
      for (const e of events) {
        try {
          if (events.length === 1) throw err; // already written alone
          out.push((await this.writer.write([e]))[0]);
        } catch (one) {
          this.logger.error({ err: one, eventId: e.event.id }, 'access event could not be written');
          out.push(new ItemFailure(new DomainError('access_log.write_failed', 'the access event could not be written', 500, { id: e.event.id })));
        }
      }
      return out;
    }
  }

  // ---------------------------------------------------------------- reading

  private select(alias = 'e'): SelectQueryBuilder<AccessEventEntity> {
    const qb = this.dataSource.createQueryBuilder().from(AccessEventEntity, alias) as SelectQueryBuilder<AccessEventEntity>;
    qb.select(`${alias}.id`, 'id');
    for (const c of ACCESS_EVENT_COLUMNS) if (c !== 'id') qb.addSelect(`${alias}.${c}`, c);
    return qb;
  }

  private applyFilter<T extends object>(qb: SelectQueryBuilder<T>, f: AccessEventFilter): SelectQueryBuilder<T> {
    for (const [key, column] of FILTER_COLUMNS) {
      const value = f[key];
      if (value !== undefined) qb.andWhere(`e.${column} = :${key}`, { [key]: value });
    }
    if (f.from !== undefined) qb.andWhere('e.occurred_at >= :from', { from: f.from });
    if (f.to !== undefined) qb.andWhere('e.occurred_at < :to', { to: f.to });
    return qb;
  }

  /**
   * One page, newest first. The cursor is the last row's (occurredAt, id); the next page starts
   * strictly below it through the index, so the cost does not grow with depth, and events
   * arriving meanwhile neither repeat nor shift rows between pages.
   */
  async findPage(filter: AccessEventFilter, page: { cursor?: string; limit: number }): Promise<AccessEventPage> {
    const c = page.cursor ? decodeCursor<{ t: number; id: string }>(page.cursor, CURSOR_SHAPE) : undefined;
    const rows = (await this.rawPage(filter, c, page.limit + 1)).map(fromRaw);
    const items = rows.slice(0, page.limit);
    if (rows.length <= page.limit) return { items };
    const last = items[items.length - 1];
    return { items, nextCursor: encodeCursor({ t: last.occurredAt, id: last.id }) };
  }

  /**
   * The SELECT written out rather than through the query builder, which cost about 0.3 ms a page
   * (the HTTP history figure, `npm run bench -- access-log`). The text depends only on which
   * filters are set (at most 2^11 shapes), values are always bound, and {@link readRows} keeps
   * one prepared statement per shape on SQLite.
   */
  private rawPage(filter: AccessEventFilter, after: { t: number; id: string } | undefined, limit: number, offset = 0): Promise<RawRow[]> {
    const { where, params } = whereOf(filter, after);
    const sql = `SELECT ${ACCESS_EVENT_COLUMNS.join(', ')} FROM access_event${where} ORDER BY occurred_at DESC, id DESC LIMIT ?${offset > 0 ? ' OFFSET ?' : ''}`;
    return readRows<RawRow>(this.dataSource, sql, [...params, limit, ...(offset > 0 ? [offset] : [])]);
  }

  /** Every matching event, newest first, in pages of separate short reads (no long read transaction). */
  async *scan(filter: AccessEventFilter, pageSize = 1000): AsyncGenerator<AccessEvent[]> {
    for await (const rows of this.scanRows(filter, pageSize)) yield rows.map(fromRaw);
  }

  /**
   * As {@link scan}, rows as the database returns them (column names as keys, bigints possibly
   * strings): exports map them straight to cells, one object per row fewer.
   */
  async *scanRows(filter: AccessEventFilter, pageSize = 1000): AsyncGenerator<RawRow[]> {
    let after: { t: number; id: string } | undefined;
    for (;;) {
      const rows = await this.rawPage(filter, after, pageSize);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { t: Number(last.occurred_at), id: String(last.id) };
    }
  }

  /**
   * How many events match, counted in steps of COUNT_STEP index entries with a turn of the event
   * loop between them: on SQLite a read runs on the event loop (better-sqlite3 is synchronous),
   * and one COUNT(*) over a customer's million events held it for 75-95 ms, the doors' loop
   * included (the export announces its total first; `npm run bench -- badge-in-load`). Each step
   * finds the key of the row COUNT_STEP further down the same index the pages use.
   */
  async count(filter: AccessEventFilter): Promise<number> {
    let total = 0;
    let after: { t: number; id: string } | undefined;
    for (;;) {
      const [edge] = await this.rawPage(filter, after, 1, COUNT_STEP - 1);
      if (!edge) break;
      total += COUNT_STEP;
      after = { t: Number(edge.occurred_at), id: String(edge.id) };
      await yieldToEventLoop();
      await doorsFirst.yieldToDoors();
    }
    const { where, params } = whereOf(filter, after);
    const [rest] = await readRows<{ n: string | number }>(this.dataSource, `SELECT COUNT(*) AS n FROM access_event${where}`, params);
    return total + Number(rest?.n ?? 0);
  }

  async get(id: string): Promise<AccessEvent | null> {
    const row = await this.select().where('e.id = :id', { id }).getRawOne<RawRow>();
    return row ? fromRaw(row) : null;
  }

  /** 404 `customer.not_found` unless the customer exists. */
  async requireCustomer(customerId: string): Promise<CustomerTerm> {
    const c = await this.tenancy.customerTerm(customerId);
    if (!c) throw new NotFoundError('Customer', customerId);
    return c;
  }

  /** IANA zone of each site (the configured default for a site that no longer exists). */
  async siteTimeZones(siteIds?: readonly string[]): Promise<Map<string, string>> {
    const zones = await this.tenancy.siteTimeZones(siteIds);
    for (const id of siteIds ?? []) if (!zones.has(id)) zones.set(id, this.config.DEFAULT_TIME_ZONE);
    return zones;
  }

  get defaultTimeZone(): string {
    return this.config.DEFAULT_TIME_ZONE;
  }

  /**
   * Attempts per local day and door in [from, to), granted and denied. Days are calendar days
   * of each door's site (23 or 25 hours across a DST change), so the numbers match what people
   * at the site call "Monday".
   */
  async totals(filter: AccessEventFilter & { from: number; to: number }): Promise<AccessTotals> {
    if (!(filter.to > filter.from)) throw new DomainError('access_log.bad_period', 'the period must end after it starts', 400);
    if (filter.to - filter.from > MAX_TOTALS_DAYS * 86_400_000) {
      throw new DomainError('access_log.bad_period', `the period may span at most ${MAX_TOTALS_DAYS} days`, 400);
    }
    const base = { ...filter, kind: 'attempt' as const };
    const siteRows = await this.applyFilter(
      this.dataSource.createQueryBuilder().from(AccessEventEntity, 'e').select('DISTINCT e.site_id', 'site_id'),
      base,
    ).getRawMany<{
      site_id: string;
    }>();
    const zones = await this.siteTimeZones(siteRows.map((r) => r.site_id));
    const days: DoorDayTotal[] = [];
    for (const [siteId, zone] of zones) {
      let day = DateTime.fromMillis(filter.from, { zone }).startOf('day');
      while (day.toMillis() < filter.to) {
        const next = day.plus({ days: 1 });
        const from = Math.max(day.toMillis(), filter.from);
        const to = Math.min(next.toMillis(), filter.to);
        const rows = await this.applyFilter(
          this.dataSource
            .createQueryBuilder()
            .from(AccessEventEntity, 'e')
            .select('e.door_id', 'door_id')
            .addSelect('e.result', 'result')
            .addSelect('COUNT(*)', 'n')
            .groupBy('e.door_id')
            .addGroupBy('e.result'),
          { ...base, siteId, from, to },
        ).getRawMany<{ door_id: string | null; result: string; n: string | number }>();
        const byDoor = new Map<string | null, DoorDayTotal>();
        for (const r of rows) {
          const t = byDoor.get(r.door_id) ?? { date: day.toISODate()!, siteId, doorId: r.door_id, granted: 0, denied: 0 };
          if (r.result === 'granted') t.granted += Number(r.n);
          else t.denied += Number(r.n);
          byDoor.set(r.door_id, t);
        }
        days.push(...[...byDoor.values()].sort((a, b) => String(a.doorId).localeCompare(String(b.doorId))));
        day = next;
      }
    }
    days.sort((a, b) => a.date.localeCompare(b.date) || a.siteId.localeCompare(b.siteId));
    return { from: filter.from, to: filter.to, timeZones: Object.fromEntries(zones), days };
  }

  // ---------------------------------------------------------------- tamper evidence

  /** Verifies one customer's chain and names the first broken link. */
  verify(customerId: string, pageSize = 2000): Promise<AccessChainVerdict> {
    return this.verifyChain(customerId, pageSize);
  }

  /** The chain of a site's attempts that belong to no customer (unknown fingers). */
  verifySite(siteId: string, pageSize = 2000): Promise<AccessChainVerdict> {
    return this.verifyChain(`site:${siteId}`, pageSize);
  }

  async verifyChain(chainId: string, pageSize = 2000): Promise<AccessChainVerdict> {
    const verifier = new AccessChainVerifier(chainId);
    let after = 0;
    for (;;) {
      const rows = await this.select()
        .where('e.chain_id = :chainId', { chainId })
        .andWhere('e.seq > :after', { after })
        .orderBy('e.seq', 'ASC')
        .limit(pageSize)
        .getRawMany<RawRow>();
      for (const r of rows) if (!verifier.push(fromRaw(r))) return verifier.verdict();
      if (rows.length < pageSize) return verifier.verdict();
      after = Number(rows[rows.length - 1].seq);
    }
  }

  /** Every chain in the log (customers, and sites for attempts without a customer). */
  async chainIds(): Promise<string[]> {
    const rows = await this.dataSource
      .createQueryBuilder()
      .from(AccessEventEntity, 'e')
      .select('DISTINCT e.chain_id', 'chain_id')
      .orderBy('e.chain_id', 'ASC')
      .getRawMany<{ chain_id: string }>();
    return rows.map((r) => r.chain_id);
  }

  // ---------------------------------------------------------------- retention

  async retentionStatus(customerId: string): Promise<RetentionStatus> {
    const customer = await this.requireCustomer(customerId);
    const stats = await this.dataSource
      .createQueryBuilder()
      .from(AccessEventEntity, 'e')
      .select('COUNT(*)', 'n')
      .addSelect('MIN(e.occurred_at)', 'oldest')
      .addSelect('MAX(e.occurred_at)', 'newest')
      .where('e.customer_id = :customerId', { customerId })
      .getRawOne<{ n: string | number; oldest: string | number | null; newest: string | number | null }>();
    const events = Number(stats?.n ?? 0);
    const { appliesAt, keepUntil, state } = retentionState(this.options.retention, customer, this.clock.nowMs(), events);
    return {
      customerId,
      policy: this.options.retention,
      serviceEnd: customer.serviceEnd,
      appliesAt,
      keepUntil,
      state,
      events,
      oldestAt: stats?.oldest === null || stats?.oldest === undefined ? null : Number(stats.oldest),
      newestAt: stats?.newest === null || stats?.newest === undefined ? null : Number(stats.newest),
    };
  }

  async retentionStatuses(): Promise<RetentionStatus[]> {
    const out: RetentionStatus[] = [];
    for (const id of await this.tenancy.customerIds()) out.push(await this.retentionStatus(id));
    return out;
  }
}
