import { close, fdatasync, fstat, open, stat } from 'node:fs';
import { promisify } from 'node:util';
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { nativeSqlite } from './native-sqlite.js';

/** The file operations a {@link WalSync} makes, all on libuv's threads (tests count them). */
export interface WalFileOps {
  open(path: string): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  /** Inode of an open descriptor, and of a path (undefined when it is gone). */
  inodeOf(fd: number): Promise<number>;
  inodeAt(path: string): Promise<number | undefined>;
  close(fd: number): Promise<void>;
}

export const NODE_WAL_FILE_OPS: WalFileOps = {
  open: (path) => promisify(open)(path, 'r'),
  fdatasync: promisify(fdatasync),
  inodeOf: async (fd) => (await promisify(fstat)(fd)).ino,
  inodeAt: async (path) => (await promisify(stat)(path).catch(() => undefined))?.ino,
  close: promisify(close),
};

/**
 * What the write queue asks of the database around each write (see {@link WriteQueue.run}).
 */
export interface CommitSync {
  /** Before a write: its commits may leave the sync to {@link sync}. */
  relax(): void;
  /** After the write, before the next one starts: commits sync themselves again. */
  restore(): void;
  /** Resolves once everything committed before the call is on stable storage. */
  sync(): Promise<void>;
}

/**
 * synchronous=FULL with the sync off the event loop (docs/sqlite-durability.md, "The commit's
 * sync on a thread of its own").
 *
 * In WAL mode FULL is NORMAL plus one sync of the WAL file after each commit
 * (sqlite.org/pragma.html#pragma_synchronous). better-sqlite3 is synchronous, so that sync held
 * the event loop for its whole length (0.3 ms typically, 15 ms at the tail on this machine kind),
 * doors included, behind every sign-in's and audit entry's commit. Here the write queue's writes
 * commit with NORMAL and this fdatasyncs the WAL file on a libuv thread before any caller of the
 * write queue is told the write is done: the same syncs of the same file, in the same order
 * relative to the acknowledgement, several commits sharing one when they come together. The
 * WAL's frames carry cumulative checksums, so a power cut keeps a prefix of the commits: one
 * acknowledged (synced) commit is never lost because a later one was not yet synced.
 *
 * The -wal file is opened once, read-only, and never closed while SQLite's connection is open:
 * SQLite holds no POSIX lock on it (its locks are on the database file and -shm; checked in
 * /proc/locks), and the descriptor is closed only after the connection (docs/sqlite-posix-locks.md).
 * SQLite keeps the file (rewinding or truncating it in place) for as long as a connection is
 * open; each sync still checks the path's inode, and reopens if the file was replaced.
 */
export class WalSync implements CommitSync {
  private fd: { fd: number; ino: number } | undefined;
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly db: () => BetterSqlite3.Database,
    private readonly walPath: string,
    private readonly onReplaced: (message: string) => void = () => undefined,
    private readonly io: WalFileOps = NODE_WAL_FILE_OPS,
  ) {}

  relax(): void {
    if (!this.closed) this.db().pragma('synchronous = NORMAL');
  }

  restore(): void {
    if (!this.closed) this.db().pragma('synchronous = FULL');
  }

  /**
   * A sync that starts after this call: the one running now may have started before the caller's
   * commit, so a caller that finds one running waits for the next, which everyone arriving
   * meanwhile shares.
   */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.inFlight) {
      this.inFlight = this.syncOnce().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    this.next ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.sync();
      });
    return this.next;
  }

  /** After the connection is closed (never before: see the class comment). */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    const fd = this.fd;
    this.fd = undefined;
    if (fd) await this.io.close(fd.fd);
  }

  private async syncOnce(): Promise<void> {
    const fd = this.fd ?? (await this.openWal());
    if (!fd) return; // no -wal yet: nothing was committed to it
    const [, now] = await Promise.all([this.io.fdatasync(fd.fd), this.io.inodeAt(this.walPath)]);
    if (now !== undefined && now !== fd.ino) {
      // Not SQLite's doing while its connection is open; sync the file it writes now, keep the old descriptor.
      this.onReplaced(`the WAL file ${this.walPath} was replaced (inode ${fd.ino} -> ${now}); syncing the new one`);
      this.fd = undefined;
      const fresh = await this.openWal();
      if (fresh) await this.io.fdatasync(fresh.fd);
    }
  }

  private async openWal(): Promise<{ fd: number; ino: number } | undefined> {
    try {
      const fd = await this.io.open(this.walPath);
      const ino = await this.io.inodeOf(fd);
      this.fd = { fd, ino };
      return this.fd;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

/**
 * The commit sync for the server's data source: a {@link WalSync} on a SQLite file with
 * synchronous=FULL; none on PostgreSQL, an in-memory database, or with DATABASE_SYNCHRONOUS=NORMAL
 * (the operator chose no sync per commit). The descriptor is closed right after the data source
 * is destroyed, whatever order Nest's shutdown hooks run in: never while SQLite's connection is open.
 */
export function commitSyncFor(ds: DataSource, opts: { synchronous: 'FULL' | 'NORMAL'; log: (message: string) => void }): CommitSync | undefined {
  const file = ds.options.type === 'better-sqlite3' ? ds.options.database : undefined;
  if (typeof file !== 'string' || file === ':memory:' || file === '' || opts.synchronous !== 'FULL') return undefined;
  const sync = new WalSync(() => nativeSqlite(ds), `${file}-wal`, opts.log);
  const destroy = ds.destroy.bind(ds);
  ds.destroy = async () => {
    await destroy();
    await sync.close();
  };
  return sync;
}
