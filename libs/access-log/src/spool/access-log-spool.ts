import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Global, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { DeferredWriteReplayer, DeferredWriteSpool, type DeferredWrites } from '@acs/database';
import { EventSpool } from './event-spool.js';

/**
 * The server's spool for degraded mode and its window: access events and, in the same file, the
 * deferred writes of staff actions taken while degraded. Opened once at start-up and closed at
 * shutdown, after the access log's last batch (which may still have spooled). With the window 0
 * there is no spool, unless one is left from an earlier run with a window: it is opened so its
 * events are replayed.
 */
@Injectable()
export class AccessLogSpool implements DeferredWriteSpool, OnApplicationShutdown {
  private readonly logger = new Logger('AccessLogSpool');
  readonly spool: EventSpool | null;
  readonly windowS: number;

  constructor(config: AppConfig) {
    this.windowS = config.DEGRADED_WINDOW_S;
    const path = join(config.DATA_DIR, `spool-${config.INSTANCE_ID}.sqlite`);
    this.spool = this.windowS > 0 || existsSync(path) ? EventSpool.open(path) : null;
    if (this.spool && this.spool.size > 0) this.logger.warn(`${this.spool.size} access events wait in the spool for replay`);
  }

  get writes(): DeferredWrites | null {
    return this.spool?.deferred ?? null;
  }

  onApplicationShutdown(): void {
    this.spool?.close();
  }
}

/**
 * Degraded mode for the server (docs/failover.md): the composition root imports it; without it
 * (the CLI, lib specs) the access log has no spool and fails secure when the database is gone.
 */
@Global()
@Module({
  providers: [AccessLogSpool, { provide: DeferredWriteSpool, useExisting: AccessLogSpool }, DeferredWriteReplayer],
  exports: [AccessLogSpool, DeferredWriteSpool, DeferredWriteReplayer],
})
export class AccessLogSpoolModule {}
