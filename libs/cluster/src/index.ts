import { ClusterLeaseEntity } from './lease.entity.js';

export { LeaseService, type HeldLease } from './lease.service.js';
export { ClusterBus } from './cluster-bus.js';
export { ClusterModule } from './cluster.module.js';
export {
  DeviceOwnership,
  deviceLeaseName,
  type DeviceClaim,
  type DeviceFence,
  type DeviceLeaseView,
  type DevicePlacement,
  type OwnershipChange,
} from './device-ownership.js';
export { DeviceFenceVerifier } from './fence-verifier.js';

export const CLUSTER_ENTITIES = [ClusterLeaseEntity];
