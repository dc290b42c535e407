import type { DataSource, EntityManager } from 'typeorm';
import type { Instant, RegistrySnapshot } from '@acs/access-rules';
import { readAll, readRows } from '@acs/database';
import { personsOnEachReader, type FleetReader } from '@acs/registry';
import type { SlotState } from './entities.js';
import { planLibrary, type LibraryPlan } from './planner.js';

export interface TemplateRow {
  id: string;
  person_id: string;
  customer_id: string;
}

interface SlotRow {
  reader_id: string;
  slot: number;
  template_id: string;
  state: SlotState;
}

export interface ReaderDiff {
  readerId: string;
  deletes: LibraryPlan['deletes'];
  stores: Array<{ slot: number; template: TemplateRow }>;
  /** Desired templates that found no free slot. */
  unplaced: number;
}

/** What one plan of every door reader's library would write. */
export interface FleetPlan {
  /** Readers gone from the registry that still have bookkeeping. */
  orphanReaders: string[];
  readers: ReaderDiff[];
  /** Whether applying it writes anything. */
  work: boolean;
}

const TEMPLATES = 'SELECT id, person_id, customer_id FROM fingerprint_template';
const SLOTS = 'SELECT reader_id, slot, template_id, state FROM reader_slot';

/**
 * Every reader's library diff ({@link planLibrary}) from the registry snapshot, the templates
 * and the slot bookkeeping as `m` sees them.
 *
 * Rows, not entities: at 40,000 templates and 100,000 slots TypeORM's mapping was most of a
 * plan's time (npm run bench -- scale). On SQLite the prepared statements run on the shared
 * connection, which sees what `m` sees, its open transaction included; on PostgreSQL through `m`.
 * Everything is grouped once, not per reader: per reader, the filters and the coverage cost
 * readers × slots and readers × people × grants.
 */
export async function readFleetPlan(
  ds: DataSource,
  m: EntityManager,
  readers: readonly FleetReader[],
  doors: ReadonlyArray<{ id: string; entryReaderId: string | null; exitReaderId: string | null }>,
  snapshot: RegistrySnapshot,
  now: Instant,
): Promise<FleetPlan> {
  const rows = <T>(sql: string): Promise<T[]> => (ds.options.type === 'better-sqlite3' ? readRows<T>(ds, sql, []) : (m.query(sql) as Promise<T[]>));
  const [templates, slots] = await readAll<[TemplateRow[], SlotRow[]]>(m, [() => rows<TemplateRow>(TEMPLATES), () => rows<SlotRow>(SLOTS)]);
  const templatesOf = groupBy(templates, (t) => t.person_id);
  const byId = new Map(templates.map((t) => [t.id, t]));
  const slotsOf = groupBy(slots, (s) => s.reader_id);
  const readerIds = new Set(readers.map((r) => r.id));
  const orphanReaders = [...slotsOf.keys()].filter((id) => !readerIds.has(id));

  const onReader = personsOnEachReader(snapshot, doors, now);

  const diffs: ReaderDiff[] = [];
  let work = orphanReaders.length > 0;
  for (const reader of readers) {
    const desired = new Set<string>();
    if (reader.role === 'door') for (const personId of onReader.get(reader.id) ?? []) for (const t of templatesOf.get(personId) ?? []) desired.add(t.id);
    const mine = (slotsOf.get(reader.id) ?? []).map((s) => ({ slot: Number(s.slot), templateId: s.template_id, state: s.state }));
    const plan = planLibrary({ capacity: reader.capacity ?? reader.declaredCapacity, desired, slots: mine });
    if (plan.deletes.length > 0 || plan.stores.length > 0) work = true;
    diffs.push({
      readerId: reader.id,
      deletes: plan.deletes,
      stores: plan.stores.map((s) => ({ slot: s.slot, template: byId.get(s.templateId)! })),
      unplaced: plan.unplaced.length,
    });
  }
  return { orphanReaders, readers: diffs, work };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
