import type Database from 'better-sqlite3';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, Optional } from '@nestjs/common';
import { PeriodicJobs } from '@acs/clock';
import { DatabaseHealth } from './database-health.js';

/** A write owed to the central database, kept in the instance's local spool. */
export interface DeferredWrite {
  /** Spool order: the order the actions were taken in on this instance. */
  seq: number;
  /** Which handler applies it (e.g. `audit.entry`, `door-mode.zone-lockdown`). */
  kind: string;
  payload: unknown;
  createdAt: number;
}

/**
 * The writes that staff actions allowed while degraded (lockdown, emergency release and their
 * audit entries, docs/failover.md "Degraded mode") owe the central database, in the same local
 * SQLite file as the spooled access events (one handle per file: closing a second descriptor of a
 * SQLite file drops the locks of the first). Durable on return, like the event spool.
 */
export class DeferredWrites {
  private readonly insert: Database.Statement;
  private readonly head: Database.Statement;
  private readonly removeOne: Database.Statement;
  private readonly countAll: Database.Statement;
  private rows: number;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS deferred_write (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
    this.insert = db.prepare('INSERT INTO deferred_write (kind, payload, created_at) VALUES (?, ?, ?)');
    this.head = db.prepare('SELECT seq, kind, payload, created_at FROM deferred_write ORDER BY seq LIMIT ?');
    this.removeOne = db.prepare('DELETE FROM deferred_write WHERE seq = ?');
    this.countAll = db.prepare('SELECT COUNT(*) AS n FROM deferred_write');
    this.rows = Number((this.countAll.get() as { n: number }).n);
  }

  get size(): number {
    return this.rows;
  }

  /** Commits one write (synchronous=FULL: on disk when this returns); its spool sequence number. */
  put(kind: string, payload: unknown, createdAt: number): number {
    const seq = Number(this.insert.run(kind, JSON.stringify(payload), createdAt).lastInsertRowid);
    this.rows++;
    return seq;
  }

  peek(limit: number): DeferredWrite[] {
    return (this.head.all(limit) as Array<{ seq: number; kind: string; payload: string; created_at: number }>).map((r) => ({
      seq: Number(r.seq),
      kind: r.kind,
      payload: JSON.parse(r.payload) as unknown,
      createdAt: Number(r.created_at),
    }));
  }

  remove(seq: number): void {
    this.removeOne.run(seq);
    this.rows = Number((this.countAll.get() as { n: number }).n);
  }
}

/**
 * Injection token for the server's deferred writes; absent (null) where there is no local spool
 * (the CLI, lib specs, a degraded window of 0), so the caller fails as it did before.
 */
export abstract class DeferredWriteSpool {
  abstract readonly writes: DeferredWrites | null;
}

/**
 * Applies one deferred write to the central database. It must be idempotent: a crash between its
 * commit and the spool delete applies it again.
 */
export type DeferredWriteHandler = (payload: unknown, createdAt: number) => Promise<void>;

const JOB = 'database.deferred-writes';

/**
 * Replays deferred writes oldest first, one commit each (they are few: staff actions), once the
 * database is reachable again and every second while some wait. A write whose kind has no handler
 * waits (logged) rather than being dropped: the module that owns it may not have started yet.
 */
@Injectable()
export class DeferredWriteReplayer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DeferredWrites');
  private readonly handlers = new Map<string, DeferredWriteHandler>();
  private stopped = false;
  private running: Promise<number> | null = null;

  constructor(
    private readonly jobs: PeriodicJobs,
    @Optional() private readonly spool?: DeferredWriteSpool,
    @Optional() private readonly health?: DatabaseHealth,
  ) {}

  /** Registers the handler of one kind (at module init, by the lib that owns the table written). */
  handle(kind: string, handler: DeferredWriteHandler): void {
    this.handlers.set(kind, handler);
  }

  get waiting(): number {
    return this.spool?.writes?.size ?? 0;
  }

  onApplicationBootstrap(): void {
    if (!this.spool?.writes) return;
    this.jobs.every({ name: JOB, everyMs: 1000, run: () => this.round() });
    this.health?.on('recovered', this.onRecovered);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.jobs.stop(JOB);
    this.health?.off('recovered', this.onRecovered);
  }

  private readonly onRecovered = () => void this.round().catch(() => undefined);

  /** One replay round; resolves with how many writes it applied. */
  round(): Promise<number> {
    this.running ??= this.replay().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async replay(): Promise<number> {
    const spool = this.spool?.writes;
    let applied = 0;
    while (spool && spool.size > 0 && !this.stopped && !this.health?.degraded) {
      const [next] = spool.peek(1);
      const handler = this.handlers.get(next.kind);
      if (!handler) {
        this.logger.warn(`deferred write ${next.seq} of kind ${next.kind} has no handler yet; it waits`);
        break;
      }
      try {
        await handler(next.payload, next.createdAt);
      } catch (err) {
        this.health?.noteFailure(err);
        this.logger.warn(`deferred write ${next.seq} (${next.kind}) not applied yet: ${(err as Error).message}`);
        break;
      }
      spool.remove(next.seq);
      applied++;
    }
    if (applied > 0) this.logger.warn(`applied ${applied} deferred write(s) made while the database was unreachable`);
    return applied;
  }
}
