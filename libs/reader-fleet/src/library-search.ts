import type { FingerprintReader } from '@acs/fingerprint';
import type { ReaderManager } from './reader-manager.js';

/** A stored slot as the search needs it. */
export interface StoredSlot {
  readerId: string;
  slot: number;
  templateId: string;
}

/**
 * Duplicate-finger check over the door libraries (docs/r503-protocol.md §Flows, enrolment: Search
 * before Store): the probe template goes into buffer 1 of as few ready door readers as cover the
 * most candidate templates (greedy), and each library is searched. A hit on a slot that is not a
 * candidate (the finger being replaced, a template on its way out) is stepped around by searching
 * the ranges on either side. Returns the matching template id, and the candidates that were
 * searched; the caller checks the rest another way.
 */
export async function searchLibraries(
  readers: Pick<ReaderManager, 'isReady' | 'templateSizeOf' | 'withReader'>,
  stored: readonly StoredSlot[],
  probe: Buffer,
  candidates: ReadonlySet<string>,
): Promise<{ match: string | null; covered: Set<string> }> {
  const byReader = new Map<string, Map<number, string>>();
  for (const s of stored) {
    if (!candidates.has(s.templateId) || !readers.isReady(s.readerId) || readers.templateSizeOf(s.readerId) !== probe.length) continue;
    const m = byReader.get(s.readerId) ?? new Map<number, string>();
    m.set(s.slot, s.templateId);
    byReader.set(s.readerId, m);
  }
  const covered = new Set<string>();
  for (;;) {
    let best: string | undefined;
    let bestGain = 0;
    for (const [readerId, m] of byReader) {
      let gain = 0;
      for (const t of m.values()) if (!covered.has(t)) gain++;
      if (gain > bestGain) [best, bestGain] = [readerId, gain];
    }
    if (!best) return { match: null, covered };
    const slots = byReader.get(best)!;
    byReader.delete(best);
    let match: string | null;
    try {
      match = await readers.withReader(best, (r) => searchOne(r, probe, slots));
    } catch {
      continue; // the reader went away: its templates stay uncovered
    }
    if (match) return { match, covered };
    for (const t of slots.values()) covered.add(t);
  }
}

async function searchOne(r: FingerprintReader, probe: Buffer, slots: ReadonlyMap<number, string>): Promise<string | null> {
  await r.downloadTemplate(1, probe);
  const capacity = r.info?.capacity ?? 0;
  const ranges: Array<[number, number]> = [[0, capacity]];
  for (let searches = 0; ranges.length > 0 && searches <= capacity; searches++) {
    const [start, end] = ranges.pop()!;
    if (end <= start) continue;
    const hit = await r.search(1, start, end - start);
    if (!hit || hit.pageId < start || hit.pageId >= end) continue;
    const templateId = slots.get(hit.pageId);
    if (templateId) return templateId;
    ranges.push([start, hit.pageId], [hit.pageId + 1, end]);
  }
  return null;
}
