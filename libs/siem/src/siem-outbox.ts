import type BetterSqlite3 from 'better-sqlite3';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import type { Severity } from './rfc5424.js';
import type { SiemCategory, SiemEvent } from './siem-events.js';
import type { QueuedSiemEvent } from './siem-message.js';
import { SiemOutboxEntity } from './siem-outbox.entity.js';

const COLUMNS = ['event_id', 'category', 'severity', 'at', 'queued_at', 'instance', 'summary', 'fields'] as const;

export interface OutboxSummary {
  depth: number;
  /** queued_at of the oldest waiting event; null when none waits. */
  oldestQueuedAt: number | null;
}

/** The outbox table's operations: enqueue in the caller's transaction, read the head in order, delete what was delivered. */
@Injectable()
export class SiemOutbox {
  private native?: { db: BetterSqlite3.Database; insert: BetterSqlite3.Statement };

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  private rows(events: readonly SiemEvent[]): Array<Omit<SiemOutboxEntity, 'seq'>> {
    const queuedAt = this.clock.nowMs();
    return events.map((e) => ({
      eventId: e.eventId,
      category: e.category,
      severity: e.severity,
      at: e.at,
      queuedAt,
      instance: this.config.INSTANCE_ID,
      summary: e.summary.slice(0, 200),
      fields: JSON.stringify(e.fields),
    }));
  }

  /** In the caller's TypeORM transaction. */
  async enqueue(m: EntityManager, events: readonly SiemEvent[]): Promise<void> {
    const rows = this.rows(events);
    for (let i = 0; i < rows.length; i += 100) await m.insert(SiemOutboxEntity, rows.slice(i, i + 100));
  }

  /** In the caller's better-sqlite3 transaction (the access log's native write path). */
  enqueueNative(db: BetterSqlite3.Database, events: readonly SiemEvent[]): void {
    if (events.length === 0) return;
    if (this.native?.db !== db) {
      // Our own table, on the connection the caller hands us inside its transaction.
      this.native = { db, insert: db.prepare(`INSERT INTO siem_outbox (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`) };
    }
    for (const r of this.rows(events)) this.native.insert.run(r.eventId, r.category, r.severity, r.at, r.queuedAt, r.instance, r.summary, r.fields);
  }

  /** The oldest `limit` waiting events, in order. */
  async head(limit: number): Promise<QueuedSiemEvent[]> {
    const rows = await this.ds.getRepository(SiemOutboxEntity).createQueryBuilder('o').orderBy('o.seq', 'ASC').limit(limit).getMany();
    return rows.map((r) => ({
      seq: Number(r.seq),
      eventId: r.eventId,
      category: r.category as SiemCategory,
      severity: r.severity as Severity,
      at: r.at,
      instance: r.instance,
      summary: r.summary,
      fields: JSON.parse(r.fields) as Array<[string, string]>,
    }));
  }

  async remove(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.writes.transaction(async (m) => {
      for (let i = 0; i < seqs.length; i += 500) await m.delete(SiemOutboxEntity, { seq: In(seqs.slice(i, i + 500)) });
    });
  }

  async summary(): Promise<OutboxSummary> {
    return siemOutboxSummary(this.ds);
  }
}

/** Depth and oldest waiting event, one query (the scrape and the readiness detail read it). */
export async function siemOutboxSummary(ds: DataSource): Promise<OutboxSummary> {
  const r = await ds
    .getRepository(SiemOutboxEntity)
    .createQueryBuilder('o')
    .select('COUNT(*)', 'depth')
    .addSelect('MIN(o.queued_at)', 'oldest')
    .getRawOne<{ depth: string | number; oldest: string | number | null }>();
  return { depth: Number(r?.depth ?? 0), oldestQueuedAt: r?.oldest === null || r?.oldest === undefined ? null : Number(r.oldest) };
}
