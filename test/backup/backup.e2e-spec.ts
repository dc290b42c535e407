import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { BackupScheduler, type BackupManifest } from '@acs/backup';
import { attempt, type HistoryFixture, historyFixture } from '../access-log/support.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { clientFor, databaseEnvFor, dropDatabaseFor, ON_POSTGRES } from '../support/test-database.js';

const run = promisify(execFile);

/**
 * Backups while the server writes, and restores (README "Backup and restore"). The burst is an
 * in-process TestApp appending access events through AccessLogService.appendDurable in a loop (the
 * same durable path a badge-in takes after its decision, without readers); `acsctl` runs from the
 * built dist as its own process, as an operator would, while the loop goes on; the scheduled
 * backup runs in the server process through the shared connection.
 */
describe(`backup and restore (${ON_POSTGRES ? 'PostgreSQL' : 'SQLite'})`, () => {
  let t: TestApp;
  let f: HistoryFixture;
  const scratch: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'acs-backup-'));
    scratch.push(d);
    return d;
  };

  /** acsctl with the server's settings, over `dataDir` (and its own database on PostgreSQL). */
  const acsctl = async (dataDir: string, args: string[], extra: Record<string, string> = {}) => {
    const env = {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      ...(await databaseEnvFor(dataDir)),
      MASTER_KEY: t.config.MASTER_KEY!,
      // The evidence stays with the original folder: the restore compares the copy with it.
      SIGNING_KEY_FILE: t.config.signingKeyFile,
      CHECKPOINT_DIR: t.config.checkpointDir,
      CERTIFICATE_DIR: t.config.certificateDir,
      LOG_LEVEL: 'error',
      ...extra,
    };
    return run(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env, encoding: 'utf8' }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
  };

  /** Event ids in the database of `dataDir`, read as an outside tool would. */
  const storedIds = async (dataDir: string): Promise<Set<string>> => {
    if (ON_POSTGRES) {
      const c = await clientFor(dataDir);
      try {
        return new Set(((await c.query('SELECT id FROM access_event')) as Array<{ id: string }>).map((r) => r.id));
      } finally {
        await c.destroy();
      }
    }
    const db = new Database(join(dataDir, 'acs.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return new Set((db.prepare('SELECT id FROM access_event').all() as Array<{ id: string }>).map((r) => r.id));
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    f = await historyFixture(t);
  });
  afterAll(async () => {
    await t?.close();
    for (const d of scratch) {
      await dropDatabaseFor(d);
      rmSync(d, { recursive: true, force: true });
    }
  });

  /**
   * Appends events one batch at a time (three writers) until `stop`, noting when each was
   * acknowledged; `during` runs meanwhile with the moment it began.
   */
  async function burst<T>(during: () => Promise<T>): Promise<{ result: T; acked: Array<{ id: string; at: number }>; began: number }> {
    const acked: Array<{ id: string; at: number }> = [];
    let stop = false;
    let n = 0;
    const writer = async (who: 'a' | 'b') => {
      while (!stop) {
        const minute = String(n++ % 60).padStart(2, '0');
        const [e] = await f.log.appendDurable([attempt(f, who, `2026-11-26T08:${minute}:00Z`)]);
        acked.push({ id: e.id, at: performance.now() });
      }
    };
    const writers = [writer('a'), writer('b'), writer('a')];
    while (acked.length < 60) await new Promise((r) => setTimeout(r, 5));
    const began = performance.now();
    const result = await during();
    // Keep writing a little after it, so the backup surely ran under writes.
    const after = acked.length;
    while (acked.length < after + 30) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await Promise.all(writers);
    return { result, acked, began };
  }

  it('acsctl backup during a burst restores with every event acknowledged before it began', async () => {
    const backup = join(fresh(), 'b1');
    const { result, acked, began } = await burst(() => acsctl(t.dir, ['backup', '--to', backup]));
    expect(result.out).toContain('NOT in the backup');
    expect(result.code).toBe(0);
    const before = acked.filter((a) => a.at < began).map((a) => a.id);
    expect(before.length).toBeGreaterThanOrEqual(60);

    const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest).toMatchObject({ format: 'acs-backup', database: ON_POSTGRES ? 'postgres' : 'sqlite', keyRing: 'not included' });
    expect(manifest.schemaVersion).toMatch(/^[A-Za-z]+\d{13}$/);
    expect(Object.keys(manifest.heads.history)).toEqual(expect.arrayContaining([f.a.id, f.b.id]));
    expect(readdirSync(backup).sort()).toEqual([manifest.file, 'manifest.json'].sort());

    const target = fresh();
    const restored = await acsctl(target, ['restore', '--from', backup]);
    expect(restored.out).toContain('It holds every entry its manifest names');
    expect(restored.out).toContain('Next:');
    expect(restored.code).toBe(0);
    const ids = await storedIds(target);
    expect(before.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('a scheduled backup taken by the server during a burst restores with every event acknowledged before it began', async () => {
    const root = fresh();
    const scheduler = t.app.get(BackupScheduler);
    // The scheduler reads BACKUP_DIR from the configuration: this app was started without it.
    Object.assign(t.config, { BACKUP_DIR: root });
    const { result: dir, acked, began } = await burst(() => scheduler.run());
    expect(dir).not.toBeNull();
    const before = acked.filter((a) => a.at < began).map((a) => a.id);
    const target = fresh();
    const restored = await acsctl(target, ['restore', '--from', dir!]);
    expect(restored.code).toBe(0);
    const ids = await storedIds(target);
    expect(before.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('refuses a dump whose checksum does not match its manifest', async () => {
    const backup = join(fresh(), 'b2');
    expect((await acsctl(t.dir, ['backup', '--to', backup])).code).toBe(0);
    const path = join(backup, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
    writeFileSync(path, JSON.stringify({ ...m, sha256: m.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    const target = fresh();
    const r = await acsctl(target, ['restore', '--from', backup]);
    expect(r.out).toContain('checksum mismatch');
    expect(r.code).toBe(2);
    // Nothing was put back.
    const restoredAnything = ON_POSTGRES
      ? await storedIds(target).then(
          () => true,
          () => false,
        )
      : existsSync(join(target, 'acs.sqlite'));
    expect(restoredAnything).toBe(false);
  });

  it("refuses to restore into a running server's data folder", async () => {
    const backup = join(fresh(), 'b3');
    expect((await acsctl(t.dir, ['backup', '--to', backup])).code).toBe(0);
    const r = await acsctl(t.dir, ['restore', '--from', backup]);
    expect(r.out).toMatch(
      ON_POSTGRES ? /other session\(s\) are connected to the database .*stop the servers first/ : /in use by another process .*stop it first/,
    );
    expect(r.code).toBe(2);
    // The server goes on writing to its database.
    const [e] = await f.log.appendDurable([attempt(f, 'a', '2026-11-26T10:00:00Z')]);
    expect((await storedIds(t.dir)).has(e.id)).toBe(true);
  });

  it('scheduled backups: one per BACKUP_EVERY_H, the oldest beyond BACKUP_KEEP deleted', async () => {
    const root = fresh();
    mkdirSync(join(root, 'operator-notes'));
    Object.assign(t.config, { BACKUP_DIR: root, BACKUP_EVERY_H: 1, BACKUP_KEEP: 2 });
    const scheduler = t.app.get(BackupScheduler);
    const taken: string[] = [];
    for (let i = 0; i < 4; i++) {
      const dir = await scheduler.run();
      expect(dir).not.toBeNull();
      taken.push(dir!.split('/').pop()!);
      // Not due again within the hour.
      t.clock.advance(30 * 60_000);
      expect(await scheduler.run()).toBeNull();
      t.clock.advance(30 * 60_000);
    }
    // A folder the operator keeps there is left alone, whatever its age.
    expect(readdirSync(root).sort()).toEqual([...taken.slice(-2), 'operator-notes'].sort());
    for (const name of taken.slice(-2)) expect(existsSync(join(root, name, 'manifest.json'))).toBe(true);
  });
});
