export interface SlotOwner {
  templateId: string;
  personId: string;
  customerId: string;
  /** `deleting`: planned away (access ended or erasure running) but not yet gone from the module. */
  state: 'stored' | 'deleting';
}

/** A slot row as the directory needs it. */
export interface SlotRow extends Omit<SlotOwner, 'state'> {
  readerId: string;
  slot: number;
  state: 'storing' | SlotOwner['state'];
}

export interface SlotDirectoryOptions {
  /** A change reloads what it touched this long after it (a burst of changes reloads once). Default 100 ms. */
  reloadDelayMs?: number;
  /** Told when a reload failed and the last map read answers instead (once per run of failures). */
  onStale?: (err: unknown) => void;
}

/** Reads slot rows: every reader's when `readerIds` is undefined, else only those readers'. */
export type SlotLoader = (readerIds?: readonly string[]) => Promise<SlotRow[]>;

const EMPTY: ReadonlyMap<number, SlotOwner> = new Map();

/**
 * Badge-in's map from a Search hit (reader, slot) to the template and person it stands for,
 * served from memory so the decision path does not read the database per badge. Every write to
 * the slot bookkeeping (in this process, or another instance's notice) calls {@link invalidate},
 * naming the readers it touched when it knows them; what it touched is reloaded shortly after,
 * and a lookup meanwhile reloads it at once, once however many lookups arrive. A write that names
 * its readers reloads only theirs: the outbox completes one op at a time, and reloading all
 * 84,000 slots of 500 readers after each (0.3 s, `npm run bench -- scale`) held every Search hit
 * of the site while a hall's templates were loading.
 *
 * Freshness is counted, not timed: every invalidation takes the next number, every load records
 * the number current when it read, and a reader's map is fresh when a load of it (or of
 * everything) read at or after the last invalidation of it (or of everything). A load that ends
 * after a newer one never replaces the newer map.
 *
 * When a reload fails (the database unreachable: degraded mode decides from what it held, issue
 * 18), the last map read answers, as the decision snapshot does. The library's failed writes
 * invalidate too (their outcome may be unknown), and before this fallback one such write during
 * an outage made every later badge-in fail before it was decided or recorded. The reload after
 * each change keeps that last map the one of the last change, whether or not anyone badged since:
 * a slot is emptied and filled again only through writes of their own, each followed by a reload,
 * so a map older than the module's contents can only be served if the database goes away within
 * the moment between a write and its reload.
 */
export class SlotDirectory {
  private seq = 0;
  /** Last invalidation of everything, and of each reader named since. */
  private allDirtyAt = 0;
  private readonly dirtyAt = new Map<string, number>();
  /** The maps as last read, and the number current when each was read (-1: never). */
  private readonly maps = new Map<string, { at: number; owners: Map<number, SlotOwner> }>();
  private fullAt = -1;
  private fullLoad?: { at: number; done: Promise<void> };
  private readonly readerLoads = new Map<string, { at: number; done: Promise<void> }>();
  private failing = false;
  private reload?: NodeJS.Timeout;

  constructor(
    private readonly load: SlotLoader,
    private readonly options: SlotDirectoryOptions = {},
  ) {}

  /** The bookkeeping changed: of these readers, or of any when none are named. */
  invalidate(readerIds?: readonly string[]): void {
    if (readerIds?.length === 0) return; // a write that touched no slot (a reconciliation's record)
    const at = ++this.seq;
    if (readerIds === undefined) this.allDirtyAt = at;
    else for (const id of readerIds) this.dirtyAt.set(id, at);
    if (this.reload) return;
    this.reload = setTimeout(() => {
      this.reload = undefined;
      this.refreshStale().catch(() => undefined);
    }, this.options.reloadDelayMs ?? 100);
    // A pending reload must not keep a stopping process alive.
    this.reload.unref();
  }

  /** Null for an unknown slot or one still being stored (not yet verified on the module). */
  async owner(readerId: string, slot: number): Promise<SlotOwner | null> {
    try {
      await this.ensure(readerId);
      this.failing = false;
    } catch (err) {
      if (this.fullAt < 0 && !this.maps.has(readerId)) throw err;
      if (!this.failing) this.options.onStale?.(err);
      this.failing = true;
    }
    return this.ownersOf(readerId).get(slot) ?? null;
  }

  private ownersOf(readerId: string): ReadonlyMap<number, SlotOwner> {
    return this.maps.get(readerId)?.owners ?? EMPTY;
  }

  private readAt(readerId: string): number {
    return Math.max(this.fullAt, this.maps.get(readerId)?.at ?? -1);
  }

  private target(readerId: string): number {
    return Math.max(this.allDirtyAt, this.dirtyAt.get(readerId) ?? 0);
  }

  /** Resolves once the reader's map was read at or after its last invalidation. */
  private ensure(readerId: string): Promise<void> {
    const target = this.target(readerId);
    if (this.readAt(readerId) >= target) return Promise.resolve();
    if (this.fullLoad && this.fullLoad.at >= target) return this.fullLoad.done;
    const mine = this.readerLoads.get(readerId);
    if (mine && mine.at >= target) return mine.done;
    // Everything is stale (or was never read): one read of all.
    if (this.fullAt < this.allDirtyAt) return this.startFull(); // allDirtyAt starts at 0, fullAt at -1
    return this.startReaders([readerId]);
  }

  /** The background reload after a change: everything, or the readers named since their last read. */
  private async refreshStale(): Promise<void> {
    if (this.fullAt < this.allDirtyAt) return this.ensureFull();
    const stale = [...this.dirtyAt.keys()].filter((id) => this.readAt(id) < this.target(id) && !((this.readerLoads.get(id)?.at ?? -1) >= this.target(id)));
    if (stale.length > 0) await this.startReaders(stale);
  }

  private ensureFull(): Promise<void> {
    if (this.fullLoad && this.fullLoad.at >= this.allDirtyAt) return this.fullLoad.done;
    return this.startFull();
  }

  private startFull(): Promise<void> {
    const at = this.seq;
    const done = this.load().then((rows) => {
      const grouped = group(rows);
      for (const [id, entry] of this.maps) if (entry.at <= at && !grouped.has(id)) this.maps.delete(id);
      for (const [id, owners] of grouped) if ((this.maps.get(id)?.at ?? -1) <= at) this.maps.set(id, { at, owners });
      this.fullAt = Math.max(this.fullAt, at);
      this.forgetClean();
    });
    const entry = { at, done };
    this.fullLoad = entry;
    // A failed load is not kept: the next lookup tries again.
    void done.then(
      () => (this.fullLoad === entry ? (this.fullLoad = undefined) : undefined),
      () => (this.fullLoad === entry ? (this.fullLoad = undefined) : undefined),
    );
    return done;
  }

  private startReaders(readerIds: string[]): Promise<void> {
    const at = this.seq;
    const done = this.load(readerIds).then((rows) => {
      const grouped = group(rows);
      for (const id of readerIds) if (this.readAt(id) <= at) this.maps.set(id, { at, owners: grouped.get(id) ?? new Map() });
      this.forgetClean();
    });
    const entry = { at, done };
    for (const id of readerIds) this.readerLoads.set(id, entry);
    const clear = () => {
      for (const id of readerIds) if (this.readerLoads.get(id) === entry) this.readerLoads.delete(id);
    };
    void done.then(clear, clear);
    return done;
  }

  /** Readers whose map is fresh need no entry of their own any more. */
  private forgetClean(): void {
    for (const [id, at] of this.dirtyAt) if (this.readAt(id) >= at) this.dirtyAt.delete(id);
  }
}

function group(rows: readonly SlotRow[]): Map<string, Map<number, SlotOwner>> {
  const out = new Map<string, Map<number, SlotOwner>>();
  for (const r of rows) {
    if (r.state === 'storing') continue;
    let owners = out.get(r.readerId);
    if (!owners) out.set(r.readerId, (owners = new Map()));
    owners.set(r.slot, { templateId: r.templateId, personId: r.personId, customerId: r.customerId, state: r.state });
  }
  return out;
}
