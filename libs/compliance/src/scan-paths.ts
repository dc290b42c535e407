/** What the byte scan reports and where it looks; no file access here (the scan itself runs in scan-child.ts). */
export interface FileScan {
  /** `db`, `wal` or `shm` (a file name, never a path with a user's folder in it). */
  file: string;
  bytes: number;
  hits: number;
}

/** Values shorter than this are not searched: they would match by chance (and a 3-letter name is not a fingerprint). */
export const MIN_NEEDLE_BYTES = 4;

export function sqliteFiles(dbPath: string): Array<{ label: string; path: string }> {
  return [
    { label: 'db', path: dbPath },
    { label: 'wal', path: `${dbPath}-wal` },
    { label: 'shm', path: `${dbPath}-shm` },
  ];
}
