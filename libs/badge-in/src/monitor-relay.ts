import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@acs/cluster';
import { isSecurityAlarm, MonitorBus, type MonitorEvent } from './monitor.js';

const CHANNEL = 'monitor';

/** Live monitor events of this instance to the others, theirs to our SSE clients (ids only). */
@Injectable()
export class MonitorClusterRelay implements OnModuleInit, OnModuleDestroy {
  private off?: () => void;

  constructor(
    private readonly monitor: MonitorBus,
    private readonly cluster: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.cluster.subscribe(CHANNEL, (body) => {
      const e = body as MonitorEvent;
      if (typeof e?.type === 'string' && (typeof e.siteId === 'string' || isSecurityAlarm(e))) this.monitor.publishRemote(e);
    });
    this.off = this.monitor.onLocal((e) => this.cluster.publish(CHANNEL, e));
  }

  onModuleDestroy(): void {
    this.off?.();
  }
}
