import { Injectable, Logger, type OnModuleInit, Optional } from '@nestjs/common';
import { Clock } from '@acs/clock';
import { DatabaseHealth, DeferredWriteReplayer, DeferredWriteSpool, isConnectionError, WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { DoorCommandError, DoorCommandService } from '@acs/door-control';
import { SiteService } from '@acs/registry';
import { BadgeInService } from './badge-in.service.js';
import { DoorOverrideEntity, type DoorOverrideMode } from './entities.js';
import type { DoorWiring } from './topology.js';

export type ModeScope = { siteId: string } | { zoneId: string };

export interface ModeChangeResult {
  scope: 'site' | 'zone' | 'door';
  id: string;
  mode: 'lockdown' | 'emergency_release' | 'locked';
  active: boolean;
  zoneIds: string[];
  doors: Array<{ doorId: string; controller: 'ok' | 'no-controller' | string }>;
}

// Deferred-write kinds (docs/failover.md, "Degraded mode"): what a lockdown or an emergency
// release taken while the database was unreachable still owes the registry and the overrides.
const DEFERRED_LOCKDOWN = 'door-mode.zone-lockdown';
const DEFERRED_OVERRIDE = 'door-mode.override';

interface DeferredLockdown {
  zoneIds: string[];
  active: boolean;
}
interface DeferredOverride {
  doorIds: string[];
  mode: DoorOverrideMode | null;
  staffId: string | null;
  at: number;
}

/**
 * Lockdown and emergency release of a site or zone. Lockdown is the registry's zone flag (the
 * decision denies `zone_lockdown`) plus `locked-down` on the controllers, so a door held by its
 * controller also stays shut; emergency release is a persisted door override (the decision grants
 * `emergency_release`) plus `emergency-release` on the controllers, which unlock the strikes.
 * The controller commands are best effort: an offline controller is reported, not fatal.
 * While the database is unreachable both act from memory and on the controllers at once, and the
 * writes they owe wait in the instance's local spool until it is back (deferred writes).
 */
@Injectable()
export class DoorModesService implements OnModuleInit {
  private readonly logger = new Logger('DoorModes');

  constructor(
    private readonly badgeIn: BadgeInService,
    private readonly sites: SiteService,
    private readonly doors: DoorCommandService,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    @Optional() private readonly deferred?: DeferredWriteSpool,
    @Optional() private readonly replayer?: DeferredWriteReplayer,
    @Optional() private readonly health?: DatabaseHealth,
  ) {}

  onModuleInit(): void {
    this.replayer?.handle(DEFERRED_LOCKDOWN, async (payload) => {
      const p = payload as DeferredLockdown;
      // updateZone is idempotent; its registry change refreshes every instance's snapshot.
      for (const zoneId of p.zoneIds) await this.sites.updateZone(zoneId, { lockdown: p.active }).catch(ignoreMissing);
      this.badgeIn.lockdownOverlay.written(p.zoneIds);
    });
    this.replayer?.handle(DEFERRED_OVERRIDE, async (payload) => {
      const p = payload as DeferredOverride;
      await this.persistOverrides(p.doorIds, p.mode, p.staffId, p.at);
    });
  }

  async lockdown(scope: ModeScope, active: boolean): Promise<ModeChangeResult> {
    const { zoneIds, doors } = await this.resolve(scope);
    const persisted = await this.orDefer(DEFERRED_LOCKDOWN, { zoneIds, active } satisfies DeferredLockdown, async () => {
      for (const zoneId of zoneIds) await this.sites.updateZone(zoneId, { lockdown: active });
    });
    if (!persisted) {
      this.badgeIn.lockdownOverlay.set(zoneIds, active);
      this.badgeIn.applyLockdownOverlay();
    }
    const results = await this.command(doors, active ? 'locked-down' : 'normal');
    this.announce(scope, active ? 'lockdown' : 'normal');
    return this.result(scope, 'lockdown', active, zoneIds, results);
  }

  async emergencyRelease(scope: ModeScope, active: boolean, staffId: string | null): Promise<ModeChangeResult> {
    const { zoneIds, doors } = await this.resolve(scope);
    const doorIds = doors.map((d) => d.doorId);
    const mode = active ? ('emergency_release' as const) : null;
    const at = this.clock.nowMs();
    await this.orDefer(DEFERRED_OVERRIDE, { doorIds, mode, staffId, at } satisfies DeferredOverride, () => this.persistOverrides(doorIds, mode, staffId, at));
    this.badgeIn.setOverrides(doorIds, mode);
    const results = await this.command(doors, active ? 'emergency-release' : 'normal');
    this.announce(scope, active ? 'emergency_release' : 'normal');
    return this.result(scope, 'emergency_release', active, zoneIds, results);
  }

  /**
   * Runs the write, or, when the database is unreachable and the server has a local spool, commits
   * the payload there for the replayer; false when deferred. Without a spool the error stands
   * (fail as before: the CLI, or a degraded window of 0).
   */
  private async orDefer(kind: string, payload: DeferredLockdown | DeferredOverride, write: () => Promise<void>): Promise<boolean> {
    const spool = this.deferred?.writes;
    if (!spool || !this.health?.degraded) {
      try {
        await write();
        return true;
      } catch (err) {
        if (!spool || !isConnectionError(err)) throw err;
        this.health?.noteFailure(err);
      }
    }
    spool.put(kind, payload, this.clock.nowMs());
    this.logger.warn(`${kind} taken while the database is unreachable: applied from memory, written when it is back`);
    return false;
  }

  private async persistOverrides(doorIds: string[], mode: DoorOverrideMode | null, staffId: string | null, at: number): Promise<void> {
    await this.writes.transaction(async (m) => {
      const repo = m.getRepository(DoorOverrideEntity);
      if (mode !== null) await repo.save(doorIds.map((doorId) => ({ doorId, mode, setBy: staffId, setAt: at })));
      else if (doorIds.length > 0) await repo.delete(doorIds.map((doorId) => ({ doorId })));
    });
  }

  /** One door held locked by an operator (maintenance, incident): badge-ins are denied `door_locked`. */
  async holdLocked(doorId: string, active: boolean, staffId: string | null): Promise<ModeChangeResult> {
    const topology = await this.badgeIn.wiring();
    const door = topology.doors.get(doorId);
    if (!door) throw new NotFoundError('Door', doorId);
    await this.writes.transaction(async (m) => {
      const repo = m.getRepository(DoorOverrideEntity);
      if (active) await repo.save({ doorId, mode: 'locked' as const, setBy: staffId, setAt: this.clock.nowMs() });
      else await repo.delete({ doorId });
    });
    this.badgeIn.setOverrides([doorId], active ? 'locked' : null);
    const results = await this.command([door], active ? 'locked-down' : 'normal');
    this.badgeIn.publishMode(door.siteId, door.zoneId, doorId, active ? 'locked' : 'normal');
    return { scope: 'door', id: doorId, mode: 'locked', active, zoneIds: [door.zoneId], doors: results };
  }

  private async resolve(scope: ModeScope): Promise<{ zoneIds: string[]; doors: DoorWiring[] }> {
    const topology = await this.badgeIn.wiring();
    const snapshot = this.badgeIn.currentSnapshot();
    const zones = [...(snapshot?.zones.values() ?? [])];
    let zoneIds: string[];
    if ('siteId' in scope) {
      // The site must exist; while the database is unreachable, the snapshot's zones tell.
      const known = () => zones.some((z) => z.siteId === scope.siteId);
      if (!this.health?.degraded || !known()) {
        await this.sites.getSite(scope.siteId).catch((err: unknown) => {
          if (!isConnectionError(err) || !known()) throw err;
        });
      }
      zoneIds = zones.filter((z) => z.siteId === scope.siteId).map((z) => z.id);
    } else {
      if (!zones.some((z) => z.id === scope.zoneId)) throw new NotFoundError('Zone', scope.zoneId);
      zoneIds = [scope.zoneId];
    }
    const set = new Set(zoneIds);
    return { zoneIds, doors: [...topology.doors.values()].filter((d) => set.has(d.zoneId)) };
  }

  private async command(doors: DoorWiring[], mode: 'locked-down' | 'emergency-release' | 'normal'): Promise<ModeChangeResult['doors']> {
    return Promise.all(
      doors.map(async (d) => {
        if (!d.mqttId) return { doorId: d.doorId, controller: 'no-controller' };
        try {
          await this.doors.setMode(d.mqttId, d.relayChannel, mode);
          return { doorId: d.doorId, controller: 'ok' };
        } catch (err) {
          const code = err instanceof DoorCommandError ? err.code : 'error';
          this.logger.warn(`set-mode ${mode} on door ${d.doorId} failed: ${code}`);
          return { doorId: d.doorId, controller: code };
        }
      }),
    );
  }

  private announce(scope: ModeScope, mode: string): void {
    const snapshot = this.badgeIn.currentSnapshot();
    if ('siteId' in scope) this.badgeIn.publishMode(scope.siteId, null, null, mode);
    else this.badgeIn.publishMode(snapshot?.zones.get(scope.zoneId)?.siteId ?? '', scope.zoneId, null, mode);
  }

  private result(scope: ModeScope, mode: ModeChangeResult['mode'], active: boolean, zoneIds: string[], doors: ModeChangeResult['doors']): ModeChangeResult {
    return { scope: 'siteId' in scope ? 'site' : 'zone', id: 'siteId' in scope ? scope.siteId : scope.zoneId, mode, active, zoneIds, doors };
  }
}

/** A zone deleted before its deferred lockdown was written: nothing left to lock. */
function ignoreMissing(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
