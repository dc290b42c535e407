import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Global, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { EventSpool } from './event-spool.js';

/**
 * The server's spool for degraded mode and its window. Opened once at start-up and closed at
 * shutdown, after the access log's last batch (which may still have spooled). With the window 0
 * there is no spool, unless one is left from an earlier run with a window: it is opened so its
 * events are replayed.
 */
@Injectable()
export class AccessLogSpool implements OnApplicationShutdown {
  private readonly logger = new Logger('AccessLogSpool');
  readonly spool: EventSpool | null;
  readonly windowS: number;

  constructor(config: AppConfig) {
    this.windowS = config.DEGRADED_WINDOW_S;
    const path = join(config.DATA_DIR, `spool-${config.INSTANCE_ID}.sqlite`);
    this.spool = this.windowS > 0 || existsSync(path) ? EventSpool.open(path) : null;
    if (this.spool && this.spool.size > 0) this.logger.warn(`${this.spool.size} access events wait in the spool for replay`);
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
@Module({ providers: [AccessLogSpool], exports: [AccessLogSpool] })
export class AccessLogSpoolModule {}
