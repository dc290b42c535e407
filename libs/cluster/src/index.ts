import { ClusterLeaseEntity } from './lease.entity.js';

export { LeaseService } from './lease.service.js';
export { ClusterBus } from './cluster-bus.js';
export { ClusterModule } from './cluster.module.js';

export const CLUSTER_ENTITIES = [ClusterLeaseEntity];
