import { Global, Module } from '@nestjs/common';
import { CliChangeWatcher } from './cli-change-watcher.js';
import { ClusterBus } from './cluster-bus.js';
import { LeaseService } from './lease.service.js';
import { RegistryClusterRelay } from './registry-relay.js';
import { RegistryModule } from '@acs/registry';

/** Leases and server-to-server notices; needs the database and the MQTT edge (both global). */
@Global()
@Module({ imports: [RegistryModule], providers: [LeaseService, ClusterBus, RegistryClusterRelay, CliChangeWatcher], exports: [LeaseService, ClusterBus] })
export class ClusterModule {}
