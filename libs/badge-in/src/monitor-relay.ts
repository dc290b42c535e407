import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { isSecurityAlarm, MonitorBus, type MonitorEvent } from './monitor.js';

const CHANNEL = 'monitor';

/**
 * Live monitor events of this instance to the others, theirs to our SSE clients (ids only).
 *
 * Only where there can be others: a SQLite server is the only instance of its database (README,
 * Deployment), so it relays nothing; each notice would be a QoS 1 publish through the broker for
 * nobody, one per attempt and follow-up, on the event loop that unlocks the doors. Where there are
 * others, the notices raised during one turn of the event loop are sent at the end of it
 * (setImmediate), after that turn's own work: a badge-in's attempt event is raised before its
 * commit and unlock, and must not go to the broker ahead of the unlock.
 */
@Injectable()
export class MonitorClusterRelay implements OnModuleInit, OnModuleDestroy {
  private off?: () => void;
  private queued: MonitorEvent[] = [];
  private immediate?: NodeJS.Immediate;

  constructor(
    private readonly monitor: MonitorBus,
    private readonly cluster: ClusterBus,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!MonitorClusterRelay.relays(this.config.databaseDriver)) return;
    await this.cluster.subscribe(CHANNEL, (body) => {
      const e = body as MonitorEvent;
      if (typeof e?.type === 'string' && (typeof e.siteId === 'string' || isSecurityAlarm(e))) this.monitor.publishRemote(e);
    });
    this.off = this.monitor.onLocal((e) => this.enqueue(e));
  }

  /** Whether a server on this database can have other instances to relay to. */
  static relays(driver: 'sqlite' | 'postgres'): boolean {
    return driver === 'postgres';
  }

  private enqueue(e: MonitorEvent): void {
    this.queued.push(e);
    this.immediate ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.immediate = undefined;
    const events = this.queued;
    this.queued = [];
    for (const e of events) this.cluster.publish(CHANNEL, e);
  }

  onModuleDestroy(): void {
    this.off?.();
    if (this.immediate) clearImmediate(this.immediate);
    this.flush();
  }
}
