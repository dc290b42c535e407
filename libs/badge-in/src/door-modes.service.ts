import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { DoorCommandError, DoorCommandService } from '@acs/door-control';
import { SiteService } from '@acs/registry';
import { BadgeInService } from './badge-in.service.js';
import { DoorOverrideEntity } from './entities.js';
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

/**
 * Lockdown and emergency release of a site or zone. Lockdown is the registry's zone flag (the
 * decision denies `zone_lockdown`) plus `locked-down` on the controllers, so a door held by its
 * controller also stays shut; emergency release is a persisted door override (the decision grants
 * `emergency_release`) plus `emergency-release` on the controllers, which unlock the strikes.
 * The controller commands are best effort: an offline controller is reported, not fatal.
 */
@Injectable()
export class DoorModesService {
  private readonly logger = new Logger('DoorModes');

  constructor(
    private readonly badgeIn: BadgeInService,
    private readonly sites: SiteService,
    private readonly doors: DoorCommandService,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
  ) {}

  async lockdown(scope: ModeScope, active: boolean): Promise<ModeChangeResult> {
    const { zoneIds, doors } = await this.resolve(scope);
    for (const zoneId of zoneIds) await this.sites.updateZone(zoneId, { lockdown: active });
    const results = await this.command(doors, active ? 'locked-down' : 'normal');
    this.announce(scope, active ? 'lockdown' : 'normal');
    return this.result(scope, 'lockdown', active, zoneIds, results);
  }

  async emergencyRelease(scope: ModeScope, active: boolean, staffId: string | null): Promise<ModeChangeResult> {
    const { zoneIds, doors } = await this.resolve(scope);
    const doorIds = doors.map((d) => d.doorId);
    await this.writes.transaction(async (m) => {
      const repo = m.getRepository(DoorOverrideEntity);
      if (active) await repo.save(doorIds.map((doorId) => ({ doorId, mode: 'emergency_release' as const, setBy: staffId, setAt: this.clock.nowMs() })));
      else if (doorIds.length > 0) await repo.delete(doorIds.map((doorId) => ({ doorId })));
    });
    this.badgeIn.setOverrides(doorIds, active ? 'emergency_release' : null);
    const results = await this.command(doors, active ? 'emergency-release' : 'normal');
    this.announce(scope, active ? 'emergency_release' : 'normal');
    return this.result(scope, 'emergency_release', active, zoneIds, results);
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
      await this.sites.getSite(scope.siteId);
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
