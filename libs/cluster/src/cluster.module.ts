import { Global, Module } from '@nestjs/common';
import { CliChangeWatcher } from './cli-change-watcher.js';
import { ClusterBus } from './cluster-bus.js';
import { LeaseService } from './lease.service.js';
import { DeviceOwnership } from './device-ownership.js';
import { DeviceFenceVerifier } from './fence-verifier.js';
import { ClusterController } from './cluster.controller.js';
import { RegistryClusterRelay } from './registry-relay.js';
import { RegistryModule } from '@acs/registry';

/** Leases, device ownership and server-to-server notices; needs the database and the MQTT edge (both global). */
@Global()
@Module({
  imports: [RegistryModule],
  controllers: [ClusterController],
  providers: [LeaseService, ClusterBus, RegistryClusterRelay, CliChangeWatcher, DeviceOwnership, DeviceFenceVerifier],
  exports: [LeaseService, ClusterBus, DeviceOwnership, DeviceFenceVerifier],
})
export class ClusterModule {}
