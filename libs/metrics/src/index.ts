export { AcsMetrics } from './acs-metrics.js';
export { MetricsCollectors } from './metrics-collectors.js';
export { MetricsModule } from './metrics.module.js';
export { MetricsListener, MetricsPortError } from './metrics-listener.js';
export { httpMetrics } from './http-metrics.js';
export { routeLabel } from './route-label.js';
export { scrapeVerdict, type ScrapeVerdict } from './scrape-auth.js';
