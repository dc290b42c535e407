import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SpawnedServer } from '../support/spawned-server.js';

jest.setTimeout(90_000);

const strace = spawnSync('strace', ['-V']).status === 0;
const onPostgres = process.env.ACS_TEST_DATABASE === 'postgres';
if (!strace) console.warn('commit-sync.e2e: strace not found, SKIPPING the check that commits sync off the event loop (apt-get install strace)');
if (onPostgres) console.warn("commit-sync.e2e: SKIPPED in the PostgreSQL pass: the WAL and its sync are SQLite's (the SQLite pass runs it)");
const describeWithStrace = strace && !onPostgres ? describe : describe.skip;

/**
 * The built server on SQLite syncs each acknowledged write's WAL frames on a libuv thread, not on
 * the event loop (libs/database/src/wal-sync.ts; docs/sqlite-durability.md): strace follows
 * every thread of the server while it answers writes, and the WAL file is fdatasync'd before each
 * answer, by a thread other than the main one, and never fsync'd by the main thread in between.
 * On the old write path (synchronous=FULL inside better-sqlite3's COMMIT) every sync was the
 * main thread's.
 */
describeWithStrace('commits sync their WAL off the event loop (the built server under strace)', () => {
  let root: string;
  let server: SpawnedServer;
  let token: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'acs-commit-sync-'));
    server = await SpawnedServer.over(join(root, 'data'), { READERS_ENABLED: 'false' });
    token = server.acsctlJson<{ token: string }>('staff:create', '--role', 'admin', '--username', 'sync-check').token;
    await server.start();
  });

  afterAll(async () => {
    await server?.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('fdatasyncs the -wal file on a thread other than the main one before answering each write', async () => {
    const pid = server.pid!;
    const post = (name: string) => server.http().post('/sites').set('Authorization', `Bearer ${token}`).send({ name, timeZone: 'Europe/Amsterdam' });
    // SQLite itself syncs the WAL header and its folder on the main thread when it starts the WAL
    // over after a checkpoint (sqlite.org/pragma.html#pragma_synchronous, NORMAL): once per WAL
    // cycle of 1,000 pages, here at the first write after start-up, made before tracing.
    expect((await post('Warm-up')).status).toBe(201);
    // -f: every thread; -y: file names of descriptors; -tt: timestamps to order syncs against answers.
    const tracer = spawn('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let trace = '';
    tracer.stderr!.on('data', (d: Buffer) => (trace += d.toString()));
    const attachDeadline = Date.now() + 10_000;
    while (!/Process \d+ attached/.test(trace)) {
      if (tracer.exitCode !== null || Date.now() > attachDeadline) throw new Error(`strace could not attach: ${trace}`);
      await sleep(50);
    }
    await sleep(300);
    for (let i = 0; i < 5; i++) {
      expect((await post(`Sync ${i}`)).status).toBe(201);
    }
    await sleep(300);
    const exited = new Promise((r) => tracer.once('exit', r));
    tracer.kill('SIGINT');
    await exited;

    // "[pid 1234] fdatasync(23</tmp/.../acs.sqlite-wal>) = 0"; a line without [pid] is the traced pid's.
    const syncs = trace
      .split('\n')
      .map((l) => /^(?:\[pid\s+(\d+)\]\s+)?(fsync|fdatasync)\(\d+<([^>]+)>/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ tid: m[1] ? Number(m[1]) : pid, call: m[2], file: m[3] }));
    const wal = syncs.filter((s) => s.file.endsWith('acs.sqlite-wal'));
    // Each write (the site, its audit entry) is on stable storage before its answer: at least one sync per write.
    expect(wal.length).toBeGreaterThanOrEqual(5);
    expect(wal.filter((s) => s.tid === pid)).toEqual([]);
  });
});
