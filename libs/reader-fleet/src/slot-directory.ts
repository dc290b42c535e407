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
  /** A change reloads the map this long after it (a burst of changes reloads once). Default 100 ms. */
  reloadDelayMs?: number;
  /** Told when a reload failed and the last map read answers instead (once per run of failures). */
  onStale?: (err: unknown) => void;
}

/**
 * Badge-in's map from a Search hit (reader, slot) to the template and person it stands for,
 * served from memory so the decision path does not read the database per badge. Every write to
 * the slot bookkeeping (in this process, or another instance's notice) calls {@link invalidate};
 * the map is reloaded shortly after, and a lookup meanwhile reloads it at once, once however many
 * lookups arrive.
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
  private version = 0;
  private cache?: { version: number; owners: Promise<Map<string, SlotOwner>> };
  /** The last map read, for when the database cannot be read. */
  private held?: { version: number; owners: Map<string, SlotOwner> };
  private failing = false;
  private reload?: NodeJS.Timeout;

  constructor(
    private readonly load: () => Promise<SlotRow[]>,
    private readonly options: SlotDirectoryOptions = {},
  ) {}

  invalidate(): void {
    this.version++;
    if (this.reload) return;
    this.reload = setTimeout(() => {
      this.reload = undefined;
      this.current().catch(() => undefined);
    }, this.options.reloadDelayMs ?? 100);
    // A pending reload must not keep a stopping process alive.
    this.reload.unref();
  }

  /** Null for an unknown slot or one still being stored (not yet verified on the module). */
  async owner(readerId: string, slot: number): Promise<SlotOwner | null> {
    const key = `${readerId}:${slot}`;
    try {
      const owners = await this.current();
      this.failing = false;
      return owners.get(key) ?? null;
    } catch (err) {
      if (!this.held) throw err;
      if (!this.failing) this.options.onStale?.(err);
      this.failing = true;
      return this.held.owners.get(key) ?? null;
    }
  }

  private current(): Promise<Map<string, SlotOwner>> {
    if (!this.cache || this.cache.version !== this.version) {
      const version = this.version;
      const owners = this.loadOwners(version);
      this.cache = { version, owners };
      // A failed load is not cached: the next lookup tries again.
      owners.catch(() => {
        if (this.cache?.owners === owners) this.cache = undefined;
      });
    }
    return this.cache.owners;
  }

  private async loadOwners(version: number): Promise<Map<string, SlotOwner>> {
    const owners = new Map<string, SlotOwner>();
    for (const r of await this.load()) {
      if (r.state === 'storing') continue;
      owners.set(`${r.readerId}:${r.slot}`, { templateId: r.templateId, personId: r.personId, customerId: r.customerId, state: r.state });
    }
    // A slower load of an older version must not replace a newer map.
    if (!this.held || this.held.version <= version) this.held = { version, owners };
    return owners;
  }
}
