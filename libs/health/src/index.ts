export { ReadinessRegistry, type ReadinessProbe } from './readiness.registry.js';
export { HealthModule } from './health.module.js';
