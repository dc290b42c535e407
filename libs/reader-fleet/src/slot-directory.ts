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

/**
 * Badge-in's map from a Search hit (reader, slot) to the template and person it stands for,
 * served from memory so the decision path does not read the database per badge. Every write to
 * the slot bookkeeping (in this process, or another instance's notice) calls {@link invalidate};
 * the next lookup reloads once, however many lookups arrive meanwhile.
 */
export class SlotDirectory {
  private version = 0;
  private cache?: { version: number; owners: Promise<Map<string, SlotOwner>> };

  constructor(private readonly load: () => Promise<SlotRow[]>) {}

  invalidate(): void {
    this.version++;
  }

  /** Null for an unknown slot or one still being stored (not yet verified on the module). */
  async owner(readerId: string, slot: number): Promise<SlotOwner | null> {
    if (!this.cache || this.cache.version !== this.version) {
      const version = this.version;
      const owners = this.loadOwners();
      this.cache = { version, owners };
      // A failed load is not cached: the next lookup tries again.
      owners.catch(() => {
        if (this.cache?.owners === owners) this.cache = undefined;
      });
    }
    return (await this.cache.owners).get(`${readerId}:${slot}`) ?? null;
  }

  private async loadOwners(): Promise<Map<string, SlotOwner>> {
    const owners = new Map<string, SlotOwner>();
    for (const r of await this.load()) {
      if (r.state === 'storing') continue;
      owners.set(`${r.readerId}:${r.slot}`, { templateId: r.templateId, personId: r.personId, customerId: r.customerId, state: r.state });
    }
    return owners;
  }
}
