import Database from 'better-sqlite3';
import { applySqlitePragmas, checkSqliteFiles, DeferredWrites, restrictSqliteFiles } from '@acs/database';
import type { AccessEventInput } from '../model.js';

/** An event in the spool: its input with ids already assigned, so a replay is idempotent. */
export interface SpooledEvent {
  /** Spool order: the order the events were decided in on this instance. */
  seq: number;
  input: AccessEventInput & { id: string; attemptId: string };
  createdAt: number;
}

/**
 * The instance's local spool of access events decided while the central database was
 * unreachable (docs/failover.md, "Degraded mode"): a SQLite file of its own beside the instance's
 * data, in WAL mode with synchronous=FULL so a committed event survives a power cut
 * (sqlite.org/pragma.html#pragma_synchronous), opened once and kept open for the process's life.
 * Writes are better-sqlite3's synchronous transactions: when {@link put} returns, the events are
 * on disk, and the door may open.
 */
export class EventSpool {
  private readonly insert: Database.Statement;
  private readonly head: Database.Statement;
  private readonly removeUpTo: Database.Statement;
  private readonly countAll: Database.Statement;
  private rows: number;
  /** The staff actions' writes owed to the central database, in the same file (one handle per file). */
  readonly deferred: DeferredWrites;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS spooled_event (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
    this.insert = db.prepare('INSERT INTO spooled_event (event, created_at) VALUES (?, ?)');
    this.head = db.prepare('SELECT seq, event, created_at FROM spooled_event ORDER BY seq LIMIT ?');
    this.removeUpTo = db.prepare('DELETE FROM spooled_event WHERE seq <= ?');
    this.countAll = db.prepare('SELECT COUNT(*) AS n FROM spooled_event');
    this.rows = Number((this.countAll.get() as { n: number }).n);
    this.deferred = new DeferredWrites(db);
  }

  /** Opens (creating) the spool file: owner-only, like the main SQLite file. */
  static open(path: string): EventSpool {
    checkSqliteFiles(path);
    const db = new Database(path);
    applySqlitePragmas(db, { synchronous: 'FULL', busyTimeoutMs: 5000 });
    restrictSqliteFiles(path);
    return new EventSpool(db, path);
  }

  /** Events waiting for replay. */
  get size(): number {
    return this.rows;
  }

  /** Commits the events in one transaction (durable on return); their spool sequence numbers. */
  put(events: ReadonlyArray<SpooledEvent['input']>, createdAt: number): number[] {
    const seqs = this.db.transaction(() =>
      events.map((e) => {
        // The fence is not kept: it guards writes of a deposed owner, and a spooled event was
        // decided while this instance held the lease by its own clock (docs/failover.md).
        const { fence: _fence, ...rest } = e;
        return Number(this.insert.run(JSON.stringify(rest), createdAt).lastInsertRowid);
      }),
    )();
    this.rows += seqs.length;
    return seqs;
  }

  /** The oldest events, in spool order. */
  peek(limit: number): SpooledEvent[] {
    return (this.head.all(limit) as Array<{ seq: number; event: string; created_at: number }>).map((r) => ({
      seq: Number(r.seq),
      input: JSON.parse(r.event) as SpooledEvent['input'],
      createdAt: Number(r.created_at),
    }));
  }

  /** Deletes every event up to `seq` (after the central history committed them). */
  remove(upToSeq: number): void {
    this.removeUpTo.run(upToSeq);
    this.rows = Number((this.countAll.get() as { n: number }).n);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
