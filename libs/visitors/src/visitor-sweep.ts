import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicJobs } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { VisitorService } from './visitor.service.js';

/** Closes ended visits and starts due erasures every VISITOR_SWEEP_INTERVAL_S; the times come from the injected clock. */
@Injectable()
export class VisitorSweep implements OnApplicationBootstrap {
  private readonly logger = new Logger('VisitorSweep');

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    private readonly visitors: VisitorService,
    @Optional() private readonly leases?: LeaseService,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.every({ name: 'visitors.sweep', everyMs: this.config.VISITOR_SWEEP_INTERVAL_S * 1000, run: () => this.run() });
  }

  async run(): Promise<void> {
    // Several instances share the database: the lease holder sweeps, the others skip this round.
    if (this.leases && !(await this.leases.acquire('visitors.sweep', this.config.VISITOR_SWEEP_INTERVAL_S * 1000 * 2))) return;
    const r = await this.visitors.sweep();
    if (r.closed > 0 || r.erasures > 0) this.logger.log(`visits closed: ${r.closed}; erasures started: ${r.erasures}`);
  }
}
