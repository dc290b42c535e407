import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock, PeriodicJobs } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { DeviceWiringService } from '@acs/registry';
import { LeaseService } from './lease.service.js';

/** What a device command or an access-history append carries to prove it comes from the current owner. */
export interface DeviceFence {
  /** Lease name: `devices:<group>:<preferred host>`. */
  lease: string;
  token: number;
}

/** Where a device is served from: its preferred host and, when it may fail over, its group. */
export interface DevicePlacement {
  host: string;
  failoverGroup: string | null;
}

/** Whether this instance serves a device now, and under which fence (none for a device without a failover group). */
export type DeviceClaim = { mine: false } | { mine: true; fence: DeviceFence | null };

export interface OwnershipChange {
  lease: string;
  held: boolean;
  token: number;
}

interface Held {
  token: number;
  acquiredAt: number;
  /** Local deadline: the start of the last successful renewal plus the lease time. */
  until: number;
}

export const deviceLeaseName = (host: string, group: string): string => `devices:${group}:${host}`;

/**
 * Ownership of the network devices (tcp:// readers, door controllers) that may fail over
 * (issue 18). The unit is a (preferred host, failover group) pair, one lease in the shared
 * database for all its devices, so a door's readers and controller always move together. The
 * preferred host takes and renews its leases; an instance serving the group takes one over once
 * it has expired. There is no consensus here beyond the database's row locks: the lease
 * row decides, and its fencing token (drawn anew on each change of holder) lets the database
 * and the controllers refuse whatever a deposed holder still sends.
 *
 * An instance stops using a device the moment its own clock says the lease ran out, without
 * waiting to hear from the database: a process paused past its lease (SIGSTOP, a long GC, a
 * frozen VM) resumes into `claim()` answering "not mine". The fence covers the case where
 * clocks disagree.
 *
 * Events: `changed` ({@link OwnershipChange}) whenever this instance gains or loses a lease.
 */
@Injectable()
export class DeviceOwnership extends EventEmitter<{ changed: [OwnershipChange] }> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeviceOwnership');
  private readonly held = new Map<string, Held>();
  /** When this instance first saw each unit in the registry (a non-preferred instance waits a lease time from then). */
  private readonly firstSeen = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly leases: LeaseService,
    private readonly wiring: DeviceWiringService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
  ) {
    super();
    this.setMaxListeners(50);
  }

  get instanceId(): string {
    return this.config.INSTANCE_ID;
  }

  get groups(): readonly string[] {
    return this.config.FAILOVER_GROUPS;
  }

  get leaseMs(): number {
    return this.config.DEVICE_LEASE_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    // A first round before the readers and controllers start, so the preferred host opens its
    // devices at once rather than a renewal period later.
    await this.tick().catch((err: Error) => this.logger.warn(`device leases not taken at start-up: ${err.message}`));
    this.jobs.every({ name: 'cluster.device-leases', everyMs: Math.max(250, Math.floor(this.leaseMs / 3)), run: () => this.tick() });
  }

  /** Hands every lease back on a clean stop, so the group takes the devices over at its next round. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.jobs.stop('cluster.device-leases');
    for (const name of [...this.held.keys()]) {
      this.drop(name);
      await this.leases.release(name).catch(() => undefined);
    }
  }

  /** Whether this instance may use the device now; a failover device also gets the fence to carry. */
  claim(d: DevicePlacement): DeviceClaim {
    if (d.failoverGroup === null) return d.host === this.config.INSTANCE_ID ? { mine: true, fence: null } : { mine: false };
    const name = deviceLeaseName(d.host, d.failoverGroup);
    const h = this.held.get(name);
    if (!h) return { mine: false };
    if (this.clock.nowMs() >= h.until) {
      this.drop(name);
      return { mine: false };
    }
    return { mine: true, fence: { lease: name, token: h.token } };
  }

  /** One round: renew what is held, take what is ours or has been left by a dead holder. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.nowMs();
    for (const [name, h] of this.held) if (now >= h.until) this.drop(name);
    const me = this.config.INSTANCE_ID;
    const units = (await this.wiring.failoverUnits()).filter((u) => u.host === me || this.groups.includes(u.group));
    const wanted = new Set(units.map((u) => deviceLeaseName(u.host, u.group)));
    for (const name of [...this.held.keys()]) {
      if (wanted.has(name)) continue;
      // The registry no longer puts anything of ours there.
      this.drop(name);
      await this.leases.release(name);
    }
    for (const u of units) {
      if (this.stopped) return;
      const name = deviceLeaseName(u.host, u.group);
      const started = this.clock.nowMs();
      if (!this.firstSeen.has(name)) this.firstSeen.set(name, started);
      // The preferred host may create its lease; the others only take over an expired one, or
      // create it once they have known the unit a whole lease time and the preferred host never came.
      const mayInsert = u.host === me || started - this.firstSeen.get(name)! >= this.leaseMs;
      try {
        const got = await this.leases.take(name, this.leaseMs, mayInsert);
        if (this.stopped) return;
        if (!got) {
          if (this.held.has(name)) this.drop(name);
          continue;
        }
        const before = this.held.get(name);
        this.held.set(name, { token: got.token, acquiredAt: got.acquiredAt, until: started + this.leaseMs });
        if (!before || before.token !== got.token) {
          this.logger.log(`serving ${name} (token ${got.token})`);
          this.emit('changed', { lease: name, held: true, token: got.token });
        }
      } catch (err) {
        // Kept until the local deadline: nobody else can take it over while the database is unreachable either.
        this.logger.warn(`lease ${name} not renewed: ${(err as Error).message}`);
      }
    }
  }

  /** Every device lease in the cluster, for the console: who serves which group's devices, since when. */
  async view(): Promise<DeviceLeaseView[]> {
    const now = this.clock.nowMs();
    const rows = await this.leases.list('devices:');
    return rows.map((r) => {
      const [, group, ...host] = r.name.split(':');
      return {
        lease: r.name,
        group,
        preferredHost: host.join(':'),
        holder: r.holder,
        since: new Date(r.acquiredAt).toISOString(),
        expiresAt: new Date(r.expiresAt).toISOString(),
        live: r.expiresAt > now,
        token: r.token,
      };
    });
  }

  private drop(name: string): void {
    const h = this.held.get(name);
    if (!h) return;
    this.held.delete(name);
    this.logger.warn(`no longer serving ${name} (token ${h.token})`);
    this.emit('changed', { lease: name, held: false, token: h.token });
  }
}

export interface DeviceLeaseView {
  lease: string;
  group: string;
  preferredHost: string;
  holder: string;
  since: string;
  expiresAt: string;
  live: boolean;
  token: number;
}
