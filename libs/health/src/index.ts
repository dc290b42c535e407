export { ReadinessRegistry, type ReadinessProbe } from './readiness.registry.js';
export { HealthModule } from './health.module.js';
export { AvailableWhileDegraded, DegradedModeInterceptor } from './degraded-mode.js';
export { DegradedView } from './health.responses.js';
