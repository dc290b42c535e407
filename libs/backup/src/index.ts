export { BackupModule } from './backup.module.js';
export { BackupScheduler } from './backup.scheduler.js';
export { takeBackup, schemaVersion, type BackupSource } from './take-backup.js';
export { type BackupManifest, type BackupDatabase, BackupError, DUMP_FILE, MANIFEST_FILE, readManifest, sha256File } from './manifest.js';
export { copySqlite, restoreSqliteFile, sqliteEmpty, sqliteInUse, type PagesPerStep } from './sqlite-copy.js';
export { pgDump, pgRestore, pgTargetState } from './pg-tools.js';
export { backupDue, backupName, backupsToDelete, type BackupFolder } from './retention.js';
