import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type BetterSqlite3 from 'better-sqlite3';
import { Brackets, DataSource } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppendTap, clusterLock, DatabaseHealth, DeferredWriteReplayer, DeferredWriteSpool, isConnectionError, nativeSqlite, WriteQueue } from '@acs/database';
import { DomainError } from '@acs/http';
import { AuditEntryEntity, type AuditOutcome } from './audit-entry.entity.js';
import { auditHash, ChainVerifier, type ChainVerdict, GENESIS_HASH } from './audit-chain.js';

export interface AuditActor {
  actorType: string;
  actorId: string | null;
  role: string | null;
}

export type AuditDetailValue = string | number | boolean | null;

export interface AuditRecord {
  /** Assigned in advance only for an entry deferred while the database was unreachable (idempotent replay). */
  id?: string;
  actor: AuditActor;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  outcome: AuditOutcome;
  requestId?: string | null;
  /** Identifiers, codes and counts only. */
  details?: Record<string, AuditDetailValue>;
}

/**
 * One entry of the trail as other libs see it: a read-only copy, so they depend on the audit's
 * operations and this shape, never on its table (the entity class stays inside this lib).
 */
export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly role: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  /** JSON of identifiers and counts only. */
  readonly details: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/** What `recordOnceAgainst` did: the target missing or of another action, an earlier entry found, or the new one. */
export type RecordOnceResult =
  { outcome: 'no_target' } | { outcome: 'already'; target: AuditEntry; earlier: AuditEntry } | { outcome: 'recorded'; target: AuditEntry; entry: AuditEntry };

export interface AuditQuery {
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  from?: number;
  to?: number;
  /** Return entries with a smaller sequence number than this (keyset paging, newest first). */
  beforeSeq?: number;
  limit: number;
}

// Detail values must look like identifiers, codes or counts: a guard against a caller passing
// a name or an e-mail address into the trail by mistake.
const SAFE_DETAIL = /^[A-Za-z0-9._:/@+-]{0,80}$/;
const SAFE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;
const SUSPECT_KEY = /name|mail|phone|address|template/i;

export function assertSafeDetails(details: Record<string, AuditDetailValue>): void {
  for (const [k, v] of Object.entries(details)) {
    if (!SAFE_KEY.test(k) || SUSPECT_KEY.test(k)) throw new DomainError('audit.unsafe_detail', `audit detail key ${k} is not allowed`, 500);
    if (typeof v === 'string' && (!SAFE_DETAIL.test(v) || v.includes('@'))) {
      throw new DomainError('audit.unsafe_detail', `audit detail ${k} is not an identifier`, 500);
    }
  }
}

/**
 * Rows a higher lib writes in the transaction of each new entry (the SIEM outbox): connected at
 * start-up by that lib; unconnected, it does nothing.
 */
@Injectable()
export class AuditAppendTap extends AppendTap<AuditEntry> {}

/** The target type of an entry aimed at another audit entry (e.g. an alarm's acknowledgement). */
export const AUDIT_ENTRY_TARGET = 'audit_entry';

/** The deferred-write kind of an audit entry owed to the trail (docs/failover.md, "Degraded mode"). */
export const DEFERRED_AUDIT_ENTRY = 'audit.entry';

@Injectable()
export class AuditService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    @Optional() private readonly tap?: AuditAppendTap,
    @Optional() private readonly deferred?: DeferredWriteSpool,
    @Optional() private readonly replayer?: DeferredWriteReplayer,
    @Optional() private readonly health?: DatabaseHealth,
  ) {}

  onModuleInit(): void {
    this.replayer?.handle(DEFERRED_AUDIT_ENTRY, (payload) => this.applyDeferred(payload as AuditRecord & { id: string }));
  }

  /**
   * {@link record}, or, when the database is unreachable and the server has a local spool, the
   * entry committed there to be appended when it is back (flagged `degraded`, with the instant of
   * the action as `actedAt`): the staff actions allowed while degraded (lockdown, emergency
   * release) are audited like any other. Resolves once the entry is durable in one place or the other.
   */
  async recordOrDefer(r: AuditRecord): Promise<void> {
    const spool = this.deferred?.writes;
    if (spool && this.health?.degraded) return this.defer(spool, r);
    try {
      await this.record(r);
    } catch (err) {
      if (!spool || !isConnectionError(err)) throw err;
      this.health?.noteFailure(err);
      this.defer(spool, r);
    }
  }

  private defer(spool: NonNullable<DeferredWriteSpool['writes']>, r: AuditRecord): void {
    if (r.details) assertSafeDetails(r.details);
    const now = this.clock.nowMs();
    spool.put(DEFERRED_AUDIT_ENTRY, { ...r, id: randomUUID(), details: { ...r.details, degraded: true, actedAt: now } }, now);
  }

  /** Appends a deferred entry unless an earlier replay already did (same id). */
  private async applyDeferred(r: AuditRecord & { id: string }): Promise<void> {
    await this.writes.transaction(async (m) => {
      if (await m.getRepository(AuditEntryEntity).exists({ where: { id: r.id } })) return;
      await this.record(r);
    });
  }

  /**
   * Appends one entry to the chain. Joins the caller's transaction when there is one.
   *
   * On SQLite through better-sqlite3's own prepared statements (as the access log's ChainWriter):
   * TypeORM's BEGIN, query builder, INSERT and COMMIT cost about twice the durable commit itself
   * (`npm run bench -- audit`). The connection is the one TypeORM uses, so inside a caller's
   * transaction better-sqlite3 nests a savepoint in it and the entry still commits or rolls back
   * with the caller's rows; the write queue keeps every other writer out meanwhile. PostgreSQL
   * keeps TypeORM and the cluster lock (several instances append to one chain).
   */
  async record(r: AuditRecord): Promise<AuditEntry> {
    if (r.details) assertSafeDetails(r.details);
    if (this.dataSource.options.type === 'better-sqlite3') return this.writes.run(async () => this.recordNative(r));
    return this.writes.transaction(async (m) => {
      // Several server instances append to one chain: read the head and insert as one step.
      await clusterLock(m, 'audit-chain');
      const head = await m.getRepository(AuditEntryEntity).createQueryBuilder('a').select(['a.seq', 'a.hash']).orderBy('a.seq', 'DESC').limit(1).getOne();
      const row = this.link(r, head ?? null);
      await m.insert(AuditEntryEntity, row);
      await this.tap?.append(m, [row]);
      return row;
    });
  }

  private native: { db: BetterSqlite3.Database; append: (r: AuditRecord) => AuditEntry } | undefined;

  private recordNative(r: AuditRecord): AuditEntry {
    const db = nativeSqlite(this.dataSource);
    if (this.native?.db !== db) this.native = { db, append: this.nativeAppend(db) };
    return this.native.append(r);
  }

  /** The statements prepared and the transaction wrapped once per connection. */
  private nativeAppend(db: BetterSqlite3.Database): (r: AuditRecord) => AuditEntry {
    const head = db.prepare('SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1');
    const insert = db.prepare(
      `INSERT INTO audit_entry (seq, id, at, actor_type, actor_id, role, action, target_type, target_id, outcome, request_id, details, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return db.transaction((r: AuditRecord) => {
      const row = this.link(r, (head.get() as { seq: number; hash: string } | undefined) ?? null);
      insert.run(
        row.seq,
        row.id,
        row.at,
        row.actorType,
        row.actorId,
        row.role,
        row.action,
        row.targetType,
        row.targetId,
        row.outcome,
        row.requestId,
        row.details,
        row.prevHash,
        row.hash,
      );
      this.tap?.appendNative(db, [row]);
      return row;
    });
  }

  /** The next entry after `head` (null: the chain is empty), hashed. */
  private link(r: AuditRecord, head: { seq: number; hash: string } | null): AuditEntryEntity {
    const row: AuditEntryEntity = {
      seq: Number(head?.seq ?? 0) + 1,
      id: r.id ?? randomUUID(),
      at: this.clock.nowMs(),
      actorType: r.actor.actorType,
      actorId: r.actor.actorId,
      role: r.actor.role,
      action: r.action,
      targetType: r.targetType ?? null,
      targetId: r.targetId ?? null,
      outcome: r.outcome,
      requestId: r.requestId ?? null,
      details: r.details && Object.keys(r.details).length > 0 ? JSON.stringify(r.details) : null,
      prevHash: head?.hash ?? GENESIS_HASH,
      hash: '',
    };
    row.hash = auditHash(row, row.prevHash);
    return row;
  }

  async find(q: AuditQuery): Promise<AuditEntry[]> {
    const qb = this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder('a');
    if (q.actorId) qb.andWhere('a.actorId = :actorId', { actorId: q.actorId });
    if (q.action) qb.andWhere('a.action = :action', { action: q.action });
    if (q.targetType) qb.andWhere('a.targetType = :targetType', { targetType: q.targetType });
    if (q.targetId) qb.andWhere('a.targetId = :targetId', { targetId: q.targetId });
    if (q.outcome) qb.andWhere('a.outcome = :outcome', { outcome: q.outcome });
    if (q.from !== undefined) qb.andWhere('a.at >= :from', { from: q.from });
    if (q.to !== undefined) qb.andWhere('a.at < :to', { to: q.to });
    if (q.beforeSeq !== undefined) qb.andWhere(new Brackets((w) => w.where('a.seq < :before', { before: q.beforeSeq })));
    return qb.orderBy('a.seq', 'DESC').limit(q.limit).getMany();
  }

  async findById(id: string): Promise<AuditEntry | null> {
    return this.dataSource.getRepository(AuditEntryEntity).findOne({ where: { id } });
  }

  /** The entries of `action` on any of `targetIds` (of `targetType`), e.g. the acknowledgements of some alarms. */
  async findTargeting(action: string, targetType: string, targetIds: string[]): Promise<AuditEntry[]> {
    if (targetIds.length === 0) return [];
    return this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .where('a.targetType = :targetType', { targetType })
      .andWhere('a.targetId IN (:...targetIds)', { targetIds })
      .andWhere('a.action = :action', { action })
      .orderBy('a.seq', 'ASC')
      .getMany();
  }

  /**
   * Records `r` aimed at the entry `targetId` (target type `audit_entry`) unless that entry is
   * missing or not of `targetAction`, or an entry of `r.action` already aims at it: e.g. an
   * alarm's acknowledgement, once per alarm. The check and the append hold the chain's lock as one
   * step, so two callers (or two server instances) cannot both record.
   */
  async recordOnceAgainst(targetAction: string, targetId: string, r: Omit<AuditRecord, 'targetType' | 'targetId'>): Promise<RecordOnceResult> {
    return this.writes.transaction(async (m): Promise<RecordOnceResult> => {
      await clusterLock(m, 'audit-chain');
      const entries = m.getRepository(AuditEntryEntity);
      const target = await entries.findOne({ where: { id: targetId } });
      if (!target || target.action !== targetAction) return { outcome: 'no_target' };
      const earlier = await entries.findOne({ where: { action: r.action, targetType: AUDIT_ENTRY_TARGET, targetId } });
      if (earlier) return { outcome: 'already', target, earlier };
      // record() joins this transaction (the write queue nests), takes the same lock again and
      // checks the details, so an unsafe note still fails only after a missing target.
      const entry = await this.record({ ...r, targetType: AUDIT_ENTRY_TARGET, targetId });
      return { outcome: 'recorded', target, entry };
    });
  }

  /**
   * The audit entries after `afterSeq` (oldest first, at most `limit`): how many were recorded by
   * `actorType`, and the newest sequence number seen. Reads by primary key only, so polling it
   * every few seconds costs next to nothing however long the trail is.
   */
  async activitySince(afterSeq: number, actorType: string, limit = 1000): Promise<{ newest: number; byActorType: number }> {
    const rows = await this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .select(['a.seq', 'a.actorType'])
      .where('a.seq > :afterSeq', { afterSeq })
      .orderBy('a.seq', 'ASC')
      .limit(limit)
      .getMany();
    return { newest: rows.length > 0 ? Number(rows[rows.length - 1].seq) : afterSeq, byActorType: rows.filter((r) => r.actorType === actorType).length };
  }

  /** Verifies the whole chain in pages so memory stays flat however long the trail is. */
  async verify(pageSize = 2000): Promise<ChainVerdict> {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      const rows = await this.dataSource
        .getRepository(AuditEntryEntity)
        .createQueryBuilder('a')
        .where('a.seq > :after', { after })
        .orderBy('a.seq', 'ASC')
        .limit(pageSize)
        .getMany();
      for (const row of rows) if (!verifier.push(row)) return verifier.verdict();
      if (rows.length < pageSize) return verifier.verdict();
      after = rows[rows.length - 1].seq;
    }
  }
}
