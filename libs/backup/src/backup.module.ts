import { Module } from '@nestjs/common';
import { BackupScheduler } from './backup.scheduler.js';

/** Scheduled backups; needs the database, the clock's periodic jobs and (when present) the cluster's leases, all global. */
@Module({
  providers: [BackupScheduler],
  exports: [BackupScheduler],
})
export class BackupModule {}
