/** Name of a scheduled backup's folder: sortable by time, e.g. `acs-backup-20261126T090000123Z`. */
export const BACKUP_NAME = /^acs-backup-\d{8}T\d{9}Z$/;

export function backupName(at: Date): string {
  return `acs-backup-${at.toISOString().replace(/[-:.]/g, '')}`;
}

/** The time a backup folder's name carries. */
export function backupTime(name: string): number {
  const m = /^acs-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(name);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
}

export interface BackupFolder {
  name: string;
  /** Holds its manifest (written last). */
  complete: boolean;
}

/**
 * Which scheduled backups to delete: the complete ones beyond the newest `keep`, and unfinished
 * ones (a crash or a full disk in the middle) older than the newest complete backup. Folders not
 * named like a scheduled backup are never touched, whatever else the operator keeps there.
 */
export function backupsToDelete(folders: BackupFolder[], keep: number): string[] {
  const ours = folders.filter((f) => BACKUP_NAME.test(f.name)).sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const complete = ours.filter((f) => f.complete);
  const newest = complete[0]?.name;
  const old = complete.slice(Math.max(keep, 1)).map((f) => f.name);
  const unfinished = newest ? ours.filter((f) => !f.complete && f.name < newest).map((f) => f.name) : [];
  return [...old, ...unfinished].sort();
}

/** Whether a scheduled backup is due: none yet, or the newest complete one is at least `everyMs` old. */
export function backupDue(folders: BackupFolder[], nowMs: number, everyMs: number): boolean {
  const newest = folders
    .filter((f) => f.complete && BACKUP_NAME.test(f.name))
    .map((f) => backupTime(f.name))
    .reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  return nowMs - newest >= everyMs;
}
