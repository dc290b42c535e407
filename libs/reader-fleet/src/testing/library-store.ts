import type { FingerprintReader } from '@acs/fingerprint';
import { FakeClock } from '@acs/clock';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { READER_FLEET_ENTITIES, ReaderOpEntity, ReaderSlotEntity, type ReaderOpKind, type SlotState } from '../entities.js';
import { newOp, type LibraryStore, type ReaderAccess } from '../outbox.js';

/**
 * The fleet's own tables in a migrated SQLite database (the schema the server runs on, with only
 * the fleet's entities mapped), and a store over it that counts its writes.
 */
export async function libraryStore(): Promise<LibraryStore & { writes: number; close(): Promise<void> }> {
  const db = await createLibTestDatabase(READER_FLEET_ENTITIES);
  const ds = db.dataSource;
  const store = {
    ds,
    clock: new FakeClock('2026-06-01T00:00:00Z'),
    writes: 0,
    tx: <T>(work: Parameters<LibraryStore['tx']>[0]) => ds.transaction(work).finally(() => store.writes++) as Promise<T>,
    close: () => db.close(),
  };
  return store;
}

export async function addSlot(store: LibraryStore, readerId: string, slot: number, state: SlotState, templateId = `t${slot}`): Promise<void> {
  await store.ds.getRepository(ReaderSlotEntity).insert({ readerId, slot, templateId, personId: `p-${templateId}`, customerId: 'c1', state, updatedAt: 0 });
}

export async function addOp(
  store: LibraryStore,
  readerId: string,
  kind: ReaderOpKind,
  slot: number | null,
  seq: number,
  templateId: string | null = null,
): Promise<string> {
  const op = newOp(readerId, kind, slot, templateId, seq, 0);
  await store.ds.getRepository(ReaderOpEntity).insert(op);
  return op.id;
}

/**
 * A module's library as a set of occupied slots, with the commands the worker and the reconciler
 * use. `stickySlots` survive DeletChar (a module that does not delete); `storeFails` makes Store
 * a no-op (the slot stays empty).
 */
export class FakeModule {
  readonly slots = new Set<number>();
  readonly deleteCalls: Array<[number, number]> = [];
  readonly stored: Array<{ slot: number; bytes: Buffer }> = [];
  stickySlots = new Set<number>();
  storeFails = false;
  private buffer?: Buffer;

  async listTemplateIds(): Promise<number[]> {
    return [...this.slots].sort((a, b) => a - b);
  }
  async readIndexTable(page: number): Promise<number[]> {
    return [...this.slots].filter((s) => Math.floor(s / 256) === page).sort((a, b) => a - b);
  }
  async deleteTemplates(start: number, count: number): Promise<void> {
    this.deleteCalls.push([start, count]);
    for (let s = start; s < start + count; s++) if (!this.stickySlots.has(s)) this.slots.delete(s);
  }
  async downloadTemplate(_buffer: number, template: Buffer): Promise<void> {
    this.buffer = Buffer.from(template);
  }
  async store(_buffer: number, slot: number): Promise<void> {
    if (this.storeFails) return;
    this.slots.add(slot);
    this.stored.push({ slot, bytes: this.buffer! });
  }
  async emptyLibrary(): Promise<void> {
    this.slots.clear();
  }
  async templateCount(): Promise<number> {
    return this.slots.size;
  }
}

/** Readers as the worker and the reconciler see them: open, ready, paused, one job at a time. */
export function fakeReaders(modules: Record<string, FakeModule>, state: { ready?: Set<string>; paused?: Set<string> } = {}): ReaderAccess {
  return {
    has: (id) => id in modules,
    isReady: (id) => (state.ready ? state.ready.has(id) : id in modules),
    isPaused: (id) => state.paused?.has(id) ?? false,
    withReader: async (id, job) => job(modules[id] as unknown as FingerprintReader),
  };
}

export const quietLogger = { warn: () => undefined };
