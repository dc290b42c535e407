import type { RegistrySnapshot } from '@acs/access-rules';

/**
 * Zone lockdowns set or lifted while the database was unreachable (docs/failover.md, "Degraded
 * mode"): the registry cannot record them yet, so they are laid over every snapshot the badge-in
 * engine holds until each is written; a zone's entry goes when its last deferred change has been
 * applied, so a lockdown set and lifted during one outage never flickers back.
 */
export class ZoneLockdownOverlay {
  private readonly zones = new Map<string, { active: boolean; owed: number }>();

  set(zoneIds: readonly string[], active: boolean): void {
    for (const id of zoneIds) this.zones.set(id, { active, owed: (this.zones.get(id)?.owed ?? 0) + 1 });
  }

  /** One deferred change of these zones has reached the registry. */
  written(zoneIds: readonly string[]): void {
    for (const id of zoneIds) {
      const z = this.zones.get(id);
      if (!z) continue;
      if (z.owed <= 1) this.zones.delete(id);
      else z.owed--;
    }
  }

  get size(): number {
    return this.zones.size;
  }

  /** The snapshot with the owed lockdown states in place of the registry's (the same one when none is owed). */
  apply(snapshot: RegistrySnapshot): RegistrySnapshot {
    if (this.zones.size === 0) return snapshot;
    const zones = new Map(snapshot.zones);
    for (const [id, { active }] of this.zones) {
      const z = zones.get(id);
      if (z) zones.set(id, { ...z, lockdown: active });
    }
    return { ...snapshot, zones };
  }
}
