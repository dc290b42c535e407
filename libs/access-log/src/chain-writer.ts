import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@acs/clock';
import { clusterLock, nativeSqlite, type WriteQueue } from '@acs/database';
import { DomainError } from '@acs/http';
import { accessEventHash, GENESIS_HASH } from './access-chain.js';
import { ACCESS_EVENT_COLUMNS, AccessEventEntity, toRow } from './access-event.entity.js';
import type { AccessEventTap } from './access-event-tap.js';
import type { AppendFence } from './access-log.service.js';
import { ItemFailure } from './batcher.js';
import type { PreparedEvent, QueuedEvent } from './event-input.js';
import type { AccessEvent, AppendFenceRef } from './model.js';

export const fenceKey = (f: AppendFenceRef): string => `${f.lease}#${f.token}`;

/**
 * Writes prepared events into their hash chains in one commit: better-sqlite3's own statements on
 * SQLite (one synchronous transaction, nothing interleaves), TypeORM with a cluster lock per chain
 * on PostgreSQL; events made under a device lease are checked against it in the same transaction.
 * The access log's batching, degraded mode and reads stay in {@link AccessLogService}.
 */
export class ChainWriter {
  private native: { db: BetterSqlite3.Database; head: BetterSqlite3.Statement; insert: BetterSqlite3.Statement } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly nativeEnabled: boolean,
    private readonly logger: { warn(obj: object, msg: string): void },
    private readonly fence?: AppendFence,
    private readonly tap?: AccessEventTap,
  ) {}

  write(queued: QueuedEvent[]): Promise<Array<AccessEvent | ItemFailure>> {
    const recordedAt = this.clock.nowMs();
    const fences = queued.flatMap((q) => (q.fence ? [q.fence] : []));
    const native = this.nativeEnabled && this.dataSource.options.type === 'better-sqlite3';
    // Ahead of other waiting writes: badge-ins unlock only once their event is committed.
    const urgent = { urgent: true };
    if (fences.length === 0 || !this.fence) {
      const events = queued.map((q) => q.event);
      if (native) return this.writes.run(async () => this.writeNative(events, recordedAt), urgent);
      return this.writes.transaction((m) => this.writePortable(m, events, recordedAt), urgent);
    }
    const fence = this.fence;
    // SQLite: lease changes go through the same write queue, so nothing moves between the check and the write.
    if (native)
      return this.writes.run(
        async () => this.fenced(queued, await fence.stale(this.dataSource.manager, fences), (ok) => this.writeNative(ok, recordedAt)),
        urgent,
      );
    return this.writes.transaction(async (m) => this.fenced(queued, await fence.stale(m, fences), (ok) => this.writePortable(m, ok, recordedAt)), urgent);
  }

  /** Writes the events whose fence is current and refuses the others, in the batch's order. */
  private async fenced(
    queued: QueuedEvent[],
    stale: Set<string>,
    write: (events: PreparedEvent[]) => AccessEvent[] | Promise<AccessEvent[]>,
  ): Promise<Array<AccessEvent | ItemFailure>> {
    const refused = (q: QueuedEvent) => q.fence !== null && stale.has(fenceKey(q.fence));
    const written = await write(queued.filter((q) => !refused(q)).map((q) => q.event));
    let i = 0;
    return queued.map((q) => {
      if (!refused(q)) return written[i++];
      this.logger.warn({ eventId: q.event.id, lease: q.fence!.lease }, 'access event refused: its device lease has passed to another instance');
      return new ItemFailure(
        new DomainError('access_log.stale_fence', 'the device lease this attempt was made under has passed to another server instance', 409, {
          id: q.event.id,
        }),
      );
    });
  }

  private nativeStatements() {
    const db = nativeSqlite(this.dataSource);
    if (this.native?.db !== db) {
      this.native = {
        db,
        head: db.prepare('SELECT seq, hash FROM access_event WHERE chain_id = ? ORDER BY seq DESC LIMIT 1'),
        insert: db.prepare(`INSERT INTO access_event (${ACCESS_EVENT_COLUMNS.join(', ')}) VALUES (${ACCESS_EVENT_COLUMNS.map(() => '?').join(', ')})`),
      };
    }
    return this.native;
  }

  private writeNative(events: PreparedEvent[], recordedAt: number): AccessEvent[] {
    const { db, head, insert } = this.nativeStatements();
    return db.transaction(() => {
      const heads = new Map<string, { seq: number; hash: string }>();
      const stored = events.map((e) => {
        const h = heads.get(e.chainId) ?? (head.get(e.chainId) as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
        const s = this.link(e, h, recordedAt);
        insert.run(toRow(s));
        heads.set(e.chainId, { seq: s.seq, hash: s.hash });
        return s;
      });
      this.tap?.appendNative(db, stored);
      return stored;
    })();
  }

  async writePortable(m: EntityManager, events: PreparedEvent[], recordedAt: number): Promise<AccessEvent[]> {
    const heads = new Map<string, { seq: number; hash: string }>();
    const chains = [...new Set(events.map((e) => e.chainId))].sort();
    // Other server instances append to the same chains: hold each chain's head until commit
    // (locked in sorted order, so two writers never wait on each other crosswise).
    for (const chainId of chains) await clusterLock(m, `access-chain:${chainId}`);
    for (const chainId of chains) {
      const h = await m
        .getRepository(AccessEventEntity)
        .createQueryBuilder('e')
        .select(['e.seq', 'e.hash'])
        .where('e.chainId = :chainId', { chainId })
        .orderBy('e.seq', 'DESC')
        .limit(1)
        .getOne();
      heads.set(chainId, h ? { seq: h.seq, hash: h.hash } : { seq: 0, hash: GENESIS_HASH });
    }
    const stored = events.map((e) => {
      const s = this.link(e, heads.get(e.chainId)!, recordedAt);
      heads.set(e.chainId, { seq: s.seq, hash: s.hash });
      return s;
    });
    await insertRows(m, stored);
    await this.tap?.append(m, stored);
    return stored;
  }

  private link(e: PreparedEvent, head: { seq: number; hash: string }, recordedAt: number): AccessEvent {
    // One object per event, its hash filled in last (the hash covers every field but itself): a
    // burst of 10,000 events made two copies of each before.
    const linked: AccessEvent = { ...e, seq: head.seq + 1, prevHash: head.hash, recordedAt, hash: '' };
    linked.hash = accessEventHash(linked);
    return linked;
  }
}

/** Rows per INSERT: 500 × 20 columns = 10,000 parameters, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;

/**
 * Multi-row INSERTs of the events' rows in the column order of {@link toRow}, written here rather
 * than through TypeORM's `insert()`: for each chunk that one builds the statement from entity
 * metadata and asks for generated columns back, which cost twice the statement itself in the
 * degraded replay benchmark (`npm run bench -- degraded`). The rows need nothing back.
 */
async function insertRows(m: EntityManager, stored: readonly AccessEvent[]): Promise<void> {
  const pg = m.connection.options.type === 'postgres';
  const width = ACCESS_EVENT_COLUMNS.length;
  for (let i = 0; i < stored.length; i += ROWS_PER_INSERT) {
    const chunk = stored.slice(i, i + ROWS_PER_INSERT);
    const params: Array<string | number | null> = [];
    const tuples = chunk.map((e, r) => {
      params.push(...toRow(e));
      return `(${ACCESS_EVENT_COLUMNS.map((_, c) => (pg ? `$${r * width + c + 1}` : '?')).join(', ')})`;
    });
    await m.query(`INSERT INTO access_event (${ACCESS_EVENT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}
