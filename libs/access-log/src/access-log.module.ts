import { Module } from '@nestjs/common';
import { AuthModule } from '@acs/auth';
import { RegistryDirectoryModule } from '@acs/registry';
import { AccessEventTap } from './access-event-tap.js';
import { AccessLogController } from './access-log.controller.js';
import { AccessLogExporter } from './access-log.exporter.js';
import { AccessLogService } from './access-log.service.js';
import { AccessHistoryErasure } from './history-erasure.js';
import { PassageHistory } from './passage-history.js';
import { AttemptFeed } from './attempt-feed.js';
import { PersonHistory } from './person-history.js';
import { SpoolReplayer } from './spool/spool-replayer.js';

/**
 * The services without HTTP: the badge-in engine appends through {@link AccessLogService};
 * the CLI verifies chains.
 */
@Module({
  imports: [RegistryDirectoryModule],
  providers: [AccessLogService, AccessEventTap, AccessLogExporter, AccessHistoryErasure, PersonHistory, PassageHistory, AttemptFeed],
  exports: [AccessLogService, AccessEventTap, AccessLogExporter, AccessHistoryErasure, PersonHistory, PassageHistory, AttemptFeed],
})
export class AccessLogCoreModule {}

/**
 * Access history over HTTP (issue 8), and the server's replay of the degraded-mode spool (it runs
 * when the composition root provides the spool: AccessLogSpoolModule).
 */
@Module({
  imports: [AuthModule, AccessLogCoreModule],
  controllers: [AccessLogController],
  providers: [SpoolReplayer],
  exports: [AccessLogCoreModule, SpoolReplayer],
})
export class AccessLogModule {}
