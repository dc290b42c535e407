import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditService } from '@acs/audit';
import { PeriodicJobs } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { RegistryChanges } from '@acs/registry';

/**
 * acsctl writes the registry straight into the database (seed:demo, purges), and no cluster
 * notice reaches a running server from it. Every such command leaves an audit entry with actor
 * type `cli`, so the server follows the audit trail's head by primary key and, when the CLI wrote
 * something, refreshes what it derived from the registry: readers (fingerprint and card) are opened, controllers'
 * credentials and hosts re-read, the decision snapshot and reader plans rebuilt. Within
 * CLI_CHANGE_POLL_MS (2 s) rather than at the next restart.
 */
@Injectable()
export class CliChangeWatcher implements OnApplicationBootstrap {
  private readonly logger = new Logger(CliChangeWatcher.name);
  private lastSeq = 0;
  private polling = false;

  constructor(
    private readonly audit: AuditService,
    private readonly changes: RegistryChanges,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Whatever the CLI wrote before this start is in the state loaded at start-up.
    for (;;) {
      const step = await this.audit.activitySince(this.lastSeq, 'cli');
      if (step.newest === this.lastSeq) break;
      this.lastSeq = step.newest;
    }
    this.jobs.every({ name: 'cluster.cli-changes', everyMs: this.config.CLI_CHANGE_POLL_MS, run: () => this.poll() });
  }

  /** One look at the trail's head; exposed for tests that do not want to wait for the timer. */
  async poll(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      let seen = 0;
      for (;;) {
        const step = await this.audit.activitySince(this.lastSeq, 'cli');
        if (step.newest === this.lastSeq) break;
        this.lastSeq = step.newest;
        seen += step.byActorType;
      }
      if (seen === 0) return false;
      this.logger.log(`acsctl changed the database (${seen} audit entries): refreshing registry-derived state`);
      // Remote, like a notice from another instance: not relayed again. Every listener refreshes
      // on any change; readers and controllers are re-read on their own kinds.
      this.changes.emit({ kind: 'reader', id: '*', op: 'updated', remote: true });
      this.changes.emit({ kind: 'controller', id: '*', op: 'updated', remote: true });
      // Card readers too: `acsctl card-reader:install-mode` must reach the instance that opens the bus.
      this.changes.emit({ kind: 'card_reader', id: '*', op: 'updated', remote: true });
      return true;
    } catch (err) {
      this.logger.warn(`looking for acsctl changes failed: ${(err as Error).message}`);
      return false;
    } finally {
      this.polling = false;
    }
  }
}
