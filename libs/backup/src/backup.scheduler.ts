import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock, PeriodicJobs } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { MANIFEST_FILE } from './manifest.js';
import { backupDue, backupName, backupsToDelete, type BackupFolder } from './retention.js';
import { takeBackup } from './take-backup.js';

/** How often the instances look whether a backup is due (at most; less with a shorter BACKUP_EVERY_H). */
const CHECK_MS = 10 * 60_000;
/** Pages per step of the SQLite copy: about 4 MB between two turns of the event loop. */
const PAGES_PER_STEP = 1000;
const LEASE = 'backup.schedule';

/**
 * Scheduled backups (BACKUP_DIR, BACKUP_EVERY_H, BACKUP_KEEP). The instances look every
 * ten minutes; the holder of the `backup.schedule` lease takes a backup when the newest complete
 * one in BACKUP_DIR is BACKUP_EVERY_H old, so a restart neither skips nor repeats one, then deletes
 * the oldest beyond BACKUP_KEEP. SQLite is copied through the shared connection's `backup()`
 * (see take-backup.ts and docs/backups.md for why that is the one sanctioned way).
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    private readonly clock: Clock,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    @Optional() private readonly leases?: LeaseService,
  ) {}

  private get everyMs(): number {
    return this.config.BACKUP_EVERY_H * 3_600_000;
  }

  private get checkMs(): number {
    return Math.min(CHECK_MS, this.everyMs);
  }

  onApplicationBootstrap(): void {
    if (!this.config.BACKUP_DIR) return;
    this.jobs.every({ name: 'backup.scheduled', everyMs: this.checkMs, run: () => this.run() });
  }

  /** One round: the backup's folder when this instance took one, null otherwise. */
  async run(): Promise<string | null> {
    const root = this.config.BACKUP_DIR;
    if (!root) return null;
    // Several instances share the schedule: the lease holder takes backups, the others skip.
    if (this.leases && !(await this.leases.acquire(LEASE, this.checkMs * 2))) return null;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    if (!backupDue(this.folders(root), this.clock.nowMs(), this.everyMs)) return null;
    const dir = join(root, backupName(this.clock.now()));
    const m = await takeBackup({ ds: this.ds, writes: this.writes, clock: this.clock, config: this.config }, dir, { pagesPerStep: PAGES_PER_STEP });
    this.logger.log(`backup written: ${dir} (${m.database}, ${m.bytes} bytes, sha256 ${m.sha256}); the key ring is not in it`);
    for (const name of backupsToDelete(this.folders(root), this.config.BACKUP_KEEP)) {
      rmSync(join(root, name), { recursive: true, force: true });
      this.logger.log(`old backup deleted: ${join(root, name)}`);
    }
    return dir;
  }

  private folders(root: string): BackupFolder[] {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({ name: e.name, complete: existsSync(join(root, e.name, MANIFEST_FILE)) }));
  }
}
