import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicJobs } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { ErasureService } from './erasure.service.js';

/** Looks for customers due for a purge every PURGE_CHECK_INTERVAL_S (when PURGE_SCHEDULE_ENABLED). */
@Injectable()
export class PurgeScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('PurgeScheduler');
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    private readonly erasure: ErasureService,
    @Optional() private readonly leases?: LeaseService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.PURGE_SCHEDULE_ENABLED) return;
    this.jobs.every({ name: 'compliance.purge', everyMs: this.config.PURGE_CHECK_INTERVAL_S * 1000, run: () => this.run() });
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Several instances share the schedule: the lease holder checks, the others skip this round.
      if (this.leases && !(await this.leases.acquire('compliance.purge-schedule', this.config.PURGE_CHECK_INTERVAL_S * 1000 * 2))) return;
      const r = await this.erasure.runScheduled();
      if (r.started.length > 0 || r.historyExpired > 0)
        this.logger.log(`scheduled purges started: ${r.started.length}; pseudonymised histories deleted: ${r.historyExpired}`);
    } catch (err) {
      this.logger.error(`scheduled purge check failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
