import type { Clock } from '@acs/clock';
import type { WriteQueue } from '@acs/database';
import { AccessEventEntity } from '../access-event.entity.js';
import type { ChainWriter } from '../chain-writer.js';
import { prepareEvent, type PreparedEvent } from '../event-input.js';
import type { AccessEvent } from '../model.js';
import type { EventSpool, SpooledEvent } from './event-spool.js';

// Degraded mode's two crossings between the spool and the central history (docs/failover.md,
// "Degraded mode"), apart from the access log's own batching.

/**
 * Commits events to the spool (synchronous, durable on return) and answers them as they will be
 * stored: flagged degraded, not yet chained (seq 0, no hashes) until the replay writes them.
 */
export function spoolEvents(spool: EventSpool, events: PreparedEvent[], now: number): AccessEvent[] {
  spool.put(
    events.map((e) => ({
      id: e.id,
      attemptId: e.attemptId,
      customerId: e.customerId,
      personId: e.personId,
      siteId: e.siteId,
      zoneId: e.zoneId,
      doorId: e.doorId,
      readerId: e.readerId,
      direction: e.direction,
      result: e.result,
      reason: e.reason,
      kind: e.kind,
      occurredAt: e.occurredAt,
      credential: e.credential,
    })),
    now,
  );
  return events.map((e) => ({ ...e, degraded: true, seq: 0, prevHash: '', hash: '', recordedAt: now }));
}

/**
 * Writes spooled events into the central history in the order given, each flagged degraded,
 * skipping those already there (a crash between the central commit and the spool delete): the
 * replay is exactly-once however often it is repeated. For the spool replayer only.
 */
export async function replaySpooled(
  records: readonly SpooledEvent[],
  d: { writes: WriteQueue; writer: ChainWriter; clock: Clock; logger: { error(obj: object, msg: string): void } },
): Promise<{ written: number; skipped: number }> {
  const events: PreparedEvent[] = [];
  for (const r of records) {
    try {
      events.push({ ...prepareEvent(r.input), degraded: true });
    } catch (err) {
      // Validated before it was spooled; an edited spool file must not block the rest.
      d.logger.error({ err, spoolSeq: r.seq }, 'spooled access event is invalid; dropped');
    }
  }
  if (events.length === 0) return { written: 0, skipped: records.length };
  return d.writes.transaction(async (m) => {
    const present = new Set(
      (
        await m
          .createQueryBuilder()
          .from(AccessEventEntity, 'e')
          .select('e.id', 'id')
          .where('e.id IN (:...ids)', { ids: events.map((e) => e.id) })
          .getRawMany<{ id: string }>()
      ).map((r) => r.id),
    );
    const fresh = events.filter((e) => !present.has(e.id));
    if (fresh.length > 0) await d.writer.writePortable(m, fresh, d.clock.nowMs());
    return { written: fresh.length, skipped: records.length - fresh.length };
  });
}
