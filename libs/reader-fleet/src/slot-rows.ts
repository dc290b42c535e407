import type { DataSource } from 'typeorm';
import { readRows } from '@acs/database';
import type { SlotRow } from './slot-directory.js';

const SLOT_ROWS = 'SELECT reader_id, slot, template_id, person_id, customer_id, state FROM reader_slot';
interface SlotTableRow {
  reader_id: string;
  slot: number | string;
  template_id: string;
  person_id: string;
  customer_id: string;
  state: SlotRow['state'];
}
const slotRow = (r: SlotTableRow): SlotRow => ({
  readerId: r.reader_id,
  slot: Number(r.slot),
  templateId: r.template_id,
  personId: r.person_id,
  customerId: r.customer_id,
  state: r.state,
});

/**
 * The slot bookkeeping for badge-in's slot directory (all of it, or the named readers'), reloaded after library writes:
 * rows, not entities (TypeORM's mapping of 100,000 slots at 500 readers was most of a reload that
 * the next Search hit waits for; npm run bench -- scale).
 */
export async function readSlotRows(ds: DataSource, readerIds?: readonly string[]): Promise<SlotRow[]> {
  if (readerIds === undefined) return (await readRows<SlotTableRow>(ds, SLOT_ROWS, [])).map(slotRow);
  // One prepared statement per reader rather than an IN list whose length would prepare a new one each time.
  const out: SlotRow[] = [];
  for (const id of readerIds) for (const r of await readRows<SlotTableRow>(ds, `${SLOT_ROWS} WHERE reader_id = ?`, [id])) out.push(slotRow(r));
  return out;
}
