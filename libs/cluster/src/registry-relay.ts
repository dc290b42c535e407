import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RegistryChanges, type RegistryChange } from '@acs/registry';
import { ClusterBus } from './cluster-bus.js';

const CHANNEL = 'registry';

/**
 * A registry change committed on another instance refreshes what this one derived from the
 * registry (decision snapshot, reader plans, controller secrets and hosts): the notice names the
 * kind and id only, the data itself is read from the shared database.
 */
@Injectable()
export class RegistryClusterRelay implements OnModuleInit, OnModuleDestroy {
  private off?: () => void;

  constructor(
    private readonly changes: RegistryChanges,
    private readonly cluster: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.cluster.subscribe(CHANNEL, (body) => {
      const c = body as RegistryChange;
      if (typeof c?.kind === 'string' && typeof c.id === 'string')
        this.changes.emit({
          kind: c.kind,
          id: c.id,
          op: c.op,
          ...(c.customerId ? { customerId: c.customerId } : {}),
          ...(c.contactOnly === true ? { contactOnly: true } : {}),
          remote: true,
        });
    });
    this.off = this.changes.subscribe((c) => {
      if (!c.remote) this.cluster.publish(CHANNEL, { kind: c.kind, id: c.id, op: c.op, customerId: c.customerId, contactOnly: c.contactOnly });
    });
  }

  onModuleDestroy(): void {
    this.off?.();
  }
}
