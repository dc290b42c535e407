import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { doorsFirst } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { accessEventHash, GENESIS_HASH } from './access-chain.js';
import { AccessEventEntity } from './access-event.entity.js';

/**
 * History rows deleted or rewritten per transaction: badge-in events and decisions interleave
 * between chunks. A chunk holds the write queue, and a badge-in's access event (urgent as it is)
 * waits for the write running: 2,000 rows took about 35 ms a chunk at 1M rows, 500 keep that
 * wait under 10 ms for a few more commits per purge.
 *
 * better-sqlite3 answers synchronously, so a loop of awaited queries never lets timers or sockets
 * run: badge-in would stall for the whole erasure. Each chunk ends with a real yield
 * (setImmediate from node:timers/promises), then waits for a badge-in in flight (doorsFirst).
 */
const HISTORY_CHUNK = 500;

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * The access history's erase operations (the access log owns `access_event`; compliance decides
 * when they run). Each one is idempotent and works in chunks, so it can be repeated after a
 * crash and never holds the write queue for long; what is left after any chunk is a valid chain
 * or one that {@link rechain} makes valid again.
 */
@Injectable()
export class AccessHistoryErasure {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
  ) {}

  /** The tables these operations delete from or rewrite (PostgreSQL vacuums them afterwards). */
  tables(): string[] {
    return [this.ds.getMetadata(AccessEventEntity).tableName];
  }

  async count(where: { customerId: string } | { personId: string }): Promise<number> {
    return this.ds.getRepository(AccessEventEntity).count({ where });
  }

  async head(chainId: string): Promise<ChainHead | null> {
    const row = await this.ds.getRepository(AccessEventEntity).findOne({ where: { chainId }, order: { seq: 'DESC' }, select: { seq: true, hash: true } });
    return row ? { seq: row.seq, hash: row.hash } : null;
  }

  /**
   * Deletes a whole chain, newest first, in chunks: what is left at any moment is a valid shorter
   * chain. `afterFirstChunk` runs once, after the first chunk committed.
   */
  async deleteHistory(chainId: string, afterFirstChunk?: () => void): Promise<void> {
    for (let round = 0; ; round++) {
      const n = await this.writes.transaction(async (m) => {
        const rows = await m.find(AccessEventEntity, { where: { chainId }, order: { seq: 'DESC' }, take: HISTORY_CHUNK, select: { id: true } });
        if (rows.length === 0) return 0;
        await m.delete(AccessEventEntity, { id: In(rows.map((r) => r.id)) });
        return rows.length;
      });
      if (n === 0) return;
      if (round === 0) afterFirstChunk?.();
      await yieldToEventLoop();
      await doorsFirst.yieldToDoors();
    }
  }

  /** Deletes one person's events from every chain; the chains need {@link rechain} afterwards. */
  async deletePersonEvents(personId: string): Promise<void> {
    for (;;) {
      const n = await this.writes.transaction(async (m) => {
        const rows = await m.find(AccessEventEntity, { where: { personId }, take: HISTORY_CHUNK, select: { id: true } });
        if (rows.length > 0) await m.delete(AccessEventEntity, { id: In(rows.map((r) => r.id)) });
        return rows.length;
      });
      if (n === 0) return;
      await yieldToEventLoop();
      await doorsFirst.yieldToDoors();
    }
  }

  /** Strips the person from every event of a customer; the chain needs {@link rechain} afterwards. */
  async pseudonymise(customerId: string): Promise<void> {
    await this.writes.transaction((m) =>
      m
        .createQueryBuilder()
        .update(AccessEventEntity)
        .set({ personId: null })
        .where('customer_id = :c', { c: customerId })
        .andWhere('person_id IS NOT NULL')
        .execute(),
    );
  }

  /**
   * Re-links a chain after rows were removed or rewritten: renumbers from 1 and recomputes every
   * hash, in ascending chunks (deterministic, so a resumed run reaches the same head).
   */
  async rechain(chainId: string): Promise<ChainHead | null> {
    let prev = GENESIS_HASH;
    let seq = 0;
    let after = -1;
    for (;;) {
      const rows = await this.ds
        .getRepository(AccessEventEntity)
        .createQueryBuilder('e')
        .where('e.chainId = :chainId', { chainId })
        .andWhere('e.seq > :after', { after })
        .orderBy('e.seq', 'ASC')
        .take(HISTORY_CHUNK)
        .getMany();
      if (rows.length === 0) break;
      await this.writes.transaction(async (m) => {
        for (const r of rows) {
          seq++;
          const hash = accessEventHash({ ...r, seq, prevHash: prev });
          if (r.seq !== seq || r.prevHash !== prev || r.hash !== hash) await m.update(AccessEventEntity, { id: r.id }, { seq, prevHash: prev, hash });
          prev = hash;
        }
      });
      after = seq;
      await yieldToEventLoop();
      await doorsFirst.yieldToDoors();
    }
    return seq === 0 ? null : { seq, hash: prev };
  }
}
