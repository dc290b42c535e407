import { Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { BadgeInModule } from '@acs/badge-in';
import { CardFleetModule } from '@acs/card-fleet';
import { CheckpointModule } from '@acs/compliance';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { SiemModule } from '@acs/siem';
import { AcsMetrics } from './acs-metrics.js';
import { MetricsCollectors } from './metrics-collectors.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsListener } from './metrics-listener.js';

/**
 * Prometheus metrics (README "Metrics"): the registry, the collectors that subscribe to the
 * services' events and read their views on scrape, `GET /metrics` behind METRICS_TOKEN and the
 * optional loopback listener. Sits above every lib it reads; none of them imports it.
 */
@Module({
  imports: [BadgeInModule, ReaderFleetModule, CardFleetModule, AccessLogCoreModule, CheckpointModule, SiemModule],
  controllers: [MetricsController],
  providers: [AcsMetrics, MetricsCollectors, MetricsListener],
  exports: [AcsMetrics, MetricsListener],
})
export class MetricsModule {}
