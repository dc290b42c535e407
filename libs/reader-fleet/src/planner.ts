import type { ReaderOpState, SlotState } from './entities.js';

export interface SlotFact {
  slot: number;
  templateId: string;
  state: SlotState;
}

export interface LibraryPlanInput {
  /** Library size of the reader (device-reported, else declared). */
  capacity: number;
  /** Templates the reader must hold: every enrolled finger of every person its doors cover. */
  desired: ReadonlySet<string>;
  /** The bookkeeping for this reader. */
  slots: readonly SlotFact[];
}

export interface LibraryPlan {
  stores: Array<{ templateId: string; slot: number }>;
  deletes: Array<{ slot: number; templateId: string }>;
  /** Desired templates with no free slot left (capacity planning should have refused them). */
  unplaced: string[];
}

/**
 * The diff between what a reader must hold and what the bookkeeping says it holds (or is about
 * to). Slots being deleted stay reserved until the delete is verified, so a slot is never reused
 * while the module may still hold the old template: a Search hit can always be mapped to the
 * right person. Lowest free slots first, as FPM's getFreeIndex does (docs/r503-protocol.md §Flows).
 */
export function planLibrary(input: LibraryPlanInput): LibraryPlan {
  const plan: LibraryPlan = { stores: [], deletes: [], unplaced: [] };
  const placed = new Set<string>();
  const used = new Set<number>();
  for (const s of [...input.slots].sort((a, b) => a.slot - b.slot)) {
    used.add(s.slot);
    if (s.state === 'deleting') continue;
    // A template in two slots (a crash between reservations) keeps only its first slot.
    if (!input.desired.has(s.templateId) || placed.has(s.templateId)) plan.deletes.push({ slot: s.slot, templateId: s.templateId });
    else placed.add(s.templateId);
  }
  let next = 0;
  for (const templateId of [...input.desired].sort()) {
    if (placed.has(templateId)) continue;
    while (next < input.capacity && used.has(next)) next++;
    if (next >= input.capacity) {
      plan.unplaced.push(templateId);
      continue;
    }
    used.add(next);
    plan.stores.push({ templateId, slot: next });
  }
  return plan;
}

/** Errors after which retrying the same operation cannot help. */
export type OpOutcome = { ok: true } | { ok: false; error: string; transient: boolean };

export interface OpProgress {
  state: ReaderOpState;
  attempts: number;
  lastError: string | null;
}

/** Attempts before a permanently failing operation is parked as `failed` for staff to see. */
export const MAX_OP_ATTEMPTS = 5;

/**
 * Outbox state machine: pending → done on success; a transient failure (reader offline, timeout)
 * keeps it pending without limit (the reader will come back, the op must not be lost); a
 * permanent failure (the module refuses the template) is retried up to {@link MAX_OP_ATTEMPTS}
 * and then parked as `failed`. Terminal states never change.
 */
export function nextOpState(current: OpProgress, outcome: OpOutcome, maxAttempts = MAX_OP_ATTEMPTS): OpProgress {
  if (current.state !== 'pending') return current;
  const attempts = current.attempts + 1;
  if (outcome.ok) return { state: 'done', attempts, lastError: current.lastError };
  if (outcome.transient) return { state: 'pending', attempts, lastError: outcome.error };
  return { state: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastError: outcome.error };
}

export interface SlotRun {
  start: number;
  count: number;
}

/**
 * Slots to delete as runs of consecutive page ids, one DeletChar each: the instruction takes a
 * start PageID and a count N and deletes N templates from there (R503 user manual, DeletChar
 * 0x0C), so a run costs one command and one reply on the wire however long it is. Only slots
 * that are all being deleted form a run: a gap is never bridged, it may hold someone else's
 * template. Duplicates collapse; runs come out in ascending order, at most `maxRuns` of them (the
 * lowest slots first; the rest wait for the next turn).
 */
export function deleteRuns(slots: readonly number[], maxRuns = Infinity): SlotRun[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const runs: SlotRun[] = [];
  for (const slot of sorted) {
    const last = runs[runs.length - 1];
    if (last && slot === last.start + last.count) last.count++;
    else if (runs.length < maxRuns) runs.push({ start: slot, count: 1 });
    else break;
  }
  return runs;
}

export function inRuns(runs: readonly SlotRun[], slot: number): boolean {
  return runs.some((r) => slot >= r.start && slot < r.start + r.count);
}
