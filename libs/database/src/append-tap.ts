import type BetterSqlite3 from 'better-sqlite3';
import type { EntityManager } from 'typeorm';

/**
 * What a higher lib adds to the transaction that records something in a lower lib (an outbox row
 * beside an audit entry, say). `appendNative` runs inside a better-sqlite3 transaction on the
 * shared connection (synchronous, like the writer that calls it); `append` inside a TypeORM one.
 */
export interface AppendListener<T> {
  append(m: EntityManager, items: readonly T[]): Promise<void>;
  appendNative(db: BetterSqlite3.Database, items: readonly T[]): void;
}

/**
 * A port through which a lib that records something (the audit trail, the access log, door
 * alarms) lets a lib above it write in the same transaction, without importing it: nothing is
 * recorded without the listener's rows, and the listener's rows never outlive a rolled-back record.
 * The lib provides a subclass as a provider; the listener connects itself at start-up. A
 * listener's failure fails the record, which is the point (at-most-once would be a silent loss).
 */
export class AppendTap<T> {
  private listener?: AppendListener<T>;

  connect(listener: AppendListener<T>): void {
    if (this.listener && this.listener !== listener) throw new Error(`${this.constructor.name} is already connected`);
    this.listener = listener;
  }

  disconnect(): void {
    this.listener = undefined;
  }

  get connected(): boolean {
    return this.listener !== undefined;
  }

  async append(m: EntityManager, items: readonly T[]): Promise<void> {
    if (this.listener && items.length > 0) await this.listener.append(m, items);
  }

  appendNative(db: BetterSqlite3.Database, items: readonly T[]): void {
    if (this.listener && items.length > 0) this.listener.appendNative(db, items);
  }
}
