import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { applySqlitePragmas, nativeSqlite, WriteQueue } from '@acs/database';
import { type CommitSync, commitSyncFor, NODE_WAL_FILE_OPS, type WalFileOps, WalSync } from './wal-sync.js';

@Entity('note')
class Note {
  @PrimaryColumn({ type: 'varchar' })
  id!: string;
  @Column({ type: 'varchar' })
  body!: string;
}

/** A gate a test opens by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WriteQueue with a commit sync', () => {
  /** Records the order of events; each sync waits for the test to let it finish. */
  class ScriptedSync implements CommitSync {
    readonly log: string[] = [];
    readonly gates: Array<{ promise: Promise<void>; open: () => void }> = [];
    relax(): void {
      this.log.push('relax');
    }
    restore(): void {
      this.log.push('restore');
    }
    sync(): Promise<void> {
      this.log.push('sync');
      const g = gate();
      this.gates.push(g);
      return g.promise;
    }
  }
  const ds = {} as DataSource;

  it('relaxes around each write and resolves only after its sync', async () => {
    const sync = new ScriptedSync();
    const queue = new WriteQueue(ds, sync);
    let resolved = false;
    const write = queue.run(async () => void sync.log.push('task')).then(() => (resolved = true));
    await tick();
    await tick();
    expect(sync.log).toEqual(['relax', 'task', 'restore', 'sync']);
    expect(resolved).toBe(false);
    sync.gates[0].open();
    await write;
    expect(resolved).toBe(true);
  });

  it('lets the next write run while the previous one syncs (the sync is outside the queue)', async () => {
    const sync = new ScriptedSync();
    const queue = new WriteQueue(ds, sync);
    let firstDone = false;
    const first = queue.run(async () => void sync.log.push('first')).then(() => (firstDone = true));
    const second = queue.run(async () => void sync.log.push('second'));
    for (let i = 0; i < 5; i++) await tick();
    // The second write ran and asked for its own sync while the first's was still running.
    expect(sync.log.filter((e) => e !== 'relax' && e !== 'restore')).toEqual(['first', 'second', 'sync', 'sync']);
    expect(firstDone).toBe(false);
    sync.gates.forEach((g) => g.open());
    await Promise.all([first, second]);
  });

  it('syncs a failed write too (it may have committed part of its work) and keeps its error', async () => {
    const sync = new ScriptedSync();
    const queue = new WriteQueue(ds, sync);
    const failed = queue.run(async () => {
      throw new Error('constraint');
    });
    for (let i = 0; i < 3; i++) await tick();
    expect(sync.log).toEqual(['relax', 'restore', 'sync']);
    sync.gates[0].open();
    await expect(failed).rejects.toThrow('constraint');
  });

  it('does not relax or sync again for a write nested in a write', async () => {
    const sync = new ScriptedSync();
    const queue = new WriteQueue(ds, sync);
    const outer = queue.run(async () => {
      await queue.run(async () => void sync.log.push('inner'));
    });
    for (let i = 0; i < 3; i++) await tick();
    expect(sync.log).toEqual(['relax', 'inner', 'restore', 'sync']);
    sync.gates[0].open();
    await outer;
  });
});

describe(WalSync.name, () => {
  let dir: string;
  let ds: DataSource;
  /** The real file operations, counted. */
  let calls: Array<{ op: keyof WalFileOps; inode?: number }>;
  let io: WalFileOps;
  let walPath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acs-walsync-'));
    walPath = join(dir, 'db.sqlite-wal');
    ds = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      entities: [Note],
      // This spec's own table (no migration makes it).
      synchronize: true,
      prepareDatabase: (db) => applySqlitePragmas(db, { synchronous: 'FULL', busyTimeoutMs: 1000 }),
    });
    await ds.initialize();
    calls = [];
    io = {
      ...NODE_WAL_FILE_OPS,
      open: async (p) => (calls.push({ op: 'open' }), NODE_WAL_FILE_OPS.open(p)),
      fdatasync: async (fd) => {
        calls.push({ op: 'fdatasync', inode: await NODE_WAL_FILE_OPS.inodeOf(fd) });
        return NODE_WAL_FILE_OPS.fdatasync(fd);
      },
      close: async (fd) => (calls.push({ op: 'close' }), NODE_WAL_FILE_OPS.close(fd)),
    };
  });

  afterEach(async () => {
    if (ds.isInitialized) await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const synchronous = () => nativeSqlite(ds).pragma('synchronous', { simple: true });

  it('commits with NORMAL inside a write and FULL outside, and fdatasyncs the -wal file itself', async () => {
    const sync = new WalSync(() => nativeSqlite(ds), walPath, undefined, io);
    const queue = new WriteQueue(ds, sync);
    const seen: unknown[] = [];
    await queue.transaction(async (m) => {
      seen.push(synchronous());
      await m.insert(Note, { id: 'a', body: 'x' });
    });
    expect(seen).toEqual([1]); // NORMAL
    expect(synchronous()).toBe(2); // FULL again for anything outside the queue
    expect(calls.map((c) => c.op)).toEqual(['open', 'fdatasync']);
    expect(calls[1].inode).toBe(statSync(walPath).ino);
    await queue.run(async () => nativeSqlite(ds).prepare("INSERT INTO note (id, body) VALUES ('b', 'y')").run());
    expect(calls.map((c) => c.op)).toEqual(['open', 'fdatasync', 'fdatasync']); // the descriptor is kept
  });

  it('shares one sync among the writes that arrive while one runs, and always waits for one that started after the call', async () => {
    const held = gate();
    let started = 0;
    const slow: WalFileOps = {
      ...io,
      fdatasync: async (fd) => {
        started++;
        if (started === 1) await held.promise;
        return io.fdatasync(fd);
      },
    };
    const sync = new WalSync(() => nativeSqlite(ds), walPath, undefined, slow);
    nativeSqlite(ds).prepare("INSERT INTO note (id, body) VALUES ('a', 'x')").run();
    const first = sync.sync();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(1);
    // Ten commits while the first sync runs: it may have started before them, so they wait for the next.
    let laterDone = 0;
    const later = Array.from({ length: 10 }, () => sync.sync().then(() => laterDone++));
    await new Promise((r) => setTimeout(r, 20));
    expect(laterDone).toBe(0);
    held.open();
    await first;
    await Promise.all(later);
    expect(started).toBe(2);
    expect(laterDone).toBe(10);
  });

  it('syncs the file at the path when the -wal was replaced under it, and says so', async () => {
    const said: string[] = [];
    const sync = new WalSync(
      () => nativeSqlite(ds),
      walPath,
      (m) => said.push(m),
      io,
    );
    nativeSqlite(ds).prepare("INSERT INTO note (id, body) VALUES ('a', 'x')").run();
    await sync.sync();
    const before = statSync(walPath).ino;
    // Not something SQLite does while connected (the fault of issue 15's kind: another process deleted it).
    writeFileSync(join(dir, 'other'), 'x');
    renameSync(join(dir, 'other'), walPath);
    await sync.sync();
    const after = statSync(walPath).ino;
    expect(after).not.toBe(before);
    expect(said).toEqual([expect.stringContaining('was replaced')]);
    expect(calls.filter((c) => c.op === 'fdatasync').map((c) => c.inode)).toEqual([before, before, after]);
  });

  it('closes its descriptor only after the data source is destroyed (commitSyncFor)', async () => {
    const sync = commitSyncFor(ds, { synchronous: 'FULL', log: () => undefined }) as WalSync;
    expect(sync).toBeInstanceOf(WalSync);
    await new WriteQueue(ds, sync).run(async () => nativeSqlite(ds).prepare("INSERT INTO note (id, body) VALUES ('a', 'x')").run());
    const closed: boolean[] = [];
    const realClose = sync.close.bind(sync);
    sync.close = async () => {
      closed.push(ds.isInitialized);
      return realClose();
    };
    await ds.destroy();
    expect(closed).toEqual([false]);
    expect(commitSyncFor(ds, { synchronous: 'NORMAL', log: () => undefined })).toBeUndefined();
  });
});
