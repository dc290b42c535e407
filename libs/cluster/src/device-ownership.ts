import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Clock, PeriodicJobs } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { DatabaseHealth } from '@acs/database';
import { DeviceWiringService } from '@acs/registry';
import { LeaseService } from './lease.service.js';
import { outageHold } from './outage-hold.js';

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
export type DeviceClaim =
  | { mine: false }
  /** `throughOutage`: past the lease's deadline, kept only because the database is unreachable (no renewal could prove it is still ours). */
  | { mine: true; fence: DeviceFence | null; throughOutage?: true };

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
  /** A renewal failed because the database was unreachable: the next successful one is announced (readers closed meanwhile reopen). */
  rode: boolean;
}

export interface DeviceOwnershipEvents {
  changed: [OwnershipChange];
  /** The database became unreachable (true) or reachable again (false). */
  outage: [degraded: boolean];
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
 * While the database is unreachable (degraded mode) a lease held when the outage began is kept
 * past its deadline for the degraded window ({@link outageHold}); no lease is taken over then, nor
 * for a lease time after the recovery, so the holders that rode through the outage renew first
 * (docs/failover.md, "Failover devices during a database outage").
 *
 * Events: `changed` ({@link OwnershipChange}) whenever this instance gains or loses a lease, and
 * when it renews one it kept through an outage; `outage` when the database goes and comes back.
 */
@Injectable()
export class DeviceOwnership extends EventEmitter<DeviceOwnershipEvents> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeviceOwnership');
  private readonly held = new Map<string, Held>();
  /** When this instance first saw each unit in the registry (a non-preferred instance waits a lease time from then). */
  private readonly firstSeen = new Map<string, number>();
  private stopped = false;
  /** The last outage once it is over: the hold lasts one renewal period beyond its end. */
  private lastOutage: { since: number; recoveredAt: number } | null = null;
  /** Rounds run one at a time (the periodic job and the one a recovery starts). */
  private round: Promise<void> = Promise.resolve();
  private readonly onDegraded = () => this.emit('outage', true);
  private readonly onRecovered = (at: number, downMs: number) => {
    this.lastOutage = { since: at - downMs, recoveredAt: at };
    this.emit('outage', false);
    // Renew at once what was kept through the outage (or learn at once that it was taken over).
    void this.tick().catch((err: Error) => this.logger.warn(`device leases not renewed after the outage: ${err.message}`));
  };

  constructor(
    private readonly leases: LeaseService,
    private readonly wiring: DeviceWiringService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    @Optional() private readonly health?: DatabaseHealth,
  ) {
    super();
    this.setMaxListeners(50);
    this.health?.on('degraded', this.onDegraded);
    this.health?.on('recovered', this.onRecovered);
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

  private get renewEveryMs(): number {
    return Math.max(250, Math.floor(this.leaseMs / 3));
  }

  /** Whether the database is unreachable now (degraded mode): no device connection is opened or reopened then. */
  get degraded(): boolean {
    return this.health?.degraded ?? false;
  }

  async onApplicationBootstrap(): Promise<void> {
    // A first round before the readers and controllers start, so the preferred host opens its
    // devices at once rather than a renewal period later.
    await this.tick().catch((err: Error) => this.logger.warn(`device leases not taken at start-up: ${err.message}`));
    this.jobs.every({ name: 'cluster.device-leases', everyMs: this.renewEveryMs, run: () => this.tick() });
  }

  /** Hands every lease back on a clean stop, so the group takes the devices over at its next round. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.jobs.stop('cluster.device-leases');
    this.health?.off('degraded', this.onDegraded);
    this.health?.off('recovered', this.onRecovered);
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
    const now = this.clock.nowMs();
    if (!this.holds(h, now)) {
      this.drop(name);
      return { mine: false };
    }
    return { mine: true, fence: { lease: name, token: h.token }, ...(now >= h.until ? { throughOutage: true as const } : {}) };
  }

  /** Within its lease by our clock, or kept through a database outage ({@link outageHold}). */
  private holds(h: Held, now: number): boolean {
    const since = this.health?.degradedSince ?? null;
    const outage = since !== null ? { since, recoveredAt: null } : this.lastOutage;
    return outageHold({
      until: h.until,
      now,
      outageSince: outage?.since ?? null,
      recoveredAt: outage?.recoveredAt ?? null,
      windowS: this.config.DEGRADED_WINDOW_S,
      graceMs: this.renewEveryMs,
    });
  }

  /**
   * Whether a lease this instance does not hold may be taken now: never while the database is
   * unreachable (it could not be anyway; a flapping link must not make it happen half-way), and
   * not for a lease time after an outage, so every holder that kept its devices through it has
   * renewed before another instance sees the lease as expired.
   */
  private mayTakeNew(now: number): boolean {
    if (this.degraded) return false;
    return this.lastOutage === null || now - this.lastOutage.recoveredAt >= this.leaseMs;
  }

  /** One round: renew what is held, take what is ours or has been left by a dead holder. */
  tick(): Promise<void> {
    const run = this.round.then(() => this.tickOnce());
    this.round = run.catch(() => undefined);
    return run;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.nowMs();
    for (const [name, h] of this.held) if (!this.holds(h, now)) this.drop(name);
    const me = this.config.INSTANCE_ID;
    let units: Array<{ host: string; group: string }>;
    try {
      units = (await this.wiring.failoverUnits()).filter((u) => u.host === me || this.groups.includes(u.group));
    } catch (err) {
      // The database is unreachable: degraded mode from now (if not already), the leases held are kept by the rule above.
      if (!this.health?.noteFailure(err)) throw err;
      for (const h of this.held.values()) h.rode = true;
      return;
    }
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
      if (!this.held.has(name) && !this.mayTakeNew(started)) continue;
      try {
        const got = await this.leases.take(name, this.leaseMs, mayInsert);
        if (this.stopped) return;
        this.health?.noteSuccess();
        if (!got) {
          if (this.held.has(name)) this.drop(name);
          continue;
        }
        const before = this.held.get(name);
        this.held.set(name, { token: got.token, acquiredAt: got.acquiredAt, until: started + this.leaseMs, rode: false });
        if (!before || before.token !== got.token) {
          this.logger.log(`serving ${name} (token ${got.token})`);
          this.emit('changed', { lease: name, held: true, token: got.token });
        } else if (before.rode) {
          this.logger.log(`kept ${name} through the database outage (token ${got.token})`);
          this.emit('changed', { lease: name, held: true, token: got.token });
        }
      } catch (err) {
        // Kept until the local deadline, or through the outage: another instance cut off from the
        // database cannot take it over either, and one that reaches it is answered by the fences.
        const h = this.held.get(name);
        if (this.health?.noteFailure(err) && h) h.rode = true;
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
