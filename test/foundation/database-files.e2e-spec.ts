import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { freePort } from '@acs/mqtt/testing';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(90_000);

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

/**
 * Issue 15, part 5: the database is personal data, readable by the service user only. The built
 * server creates DATA_DIR 0700 and its SQLite files 0600, and refuses to start (exit 2, naming the
 * fix) on database files other users could read, as it does for the master key file. SQLite-only:
 * with DATABASE_URL the files are PostgreSQL's.
 */
describe('database folder and file permissions', () => {
  let root: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let base: string;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'acs-perms-'));
    dataDir = join(root, 'data');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      // The key comes from the environment, so nothing but the database creates DATA_DIR.
      MASTER_KEY: randomBytes(32).toString('base64'),
      HTTP_PORT: String(port),
      MQTT_EMBEDDED_PORT: String(await freePort()),
      READERS_ENABLED: 'false',
      PURGE_SCHEDULE_ENABLED: 'false',
      LOG_LEVEL: 'error',
    };
  });

  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('a fresh start creates DATA_DIR 0700 and acs.sqlite, -wal and -shm 0600', async () => {
    server = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (
      !(await request(base)
        .get('/health')
        .then((r) => r.status === 200)
        .catch(() => false))
    ) {
      if (Date.now() > deadline) throw new Error('server did not start');
      await sleep(100);
    }
    const db = join(dataDir, 'acs.sqlite');
    try {
      expect({ dir: mode(dataDir), db: mode(db), wal: mode(`${db}-wal`), shm: mode(`${db}-shm`) }).toEqual({ dir: '700', db: '600', wal: '600', shm: '600' });
    } finally {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('the server and acsctl refuse a database file others can read, naming the fix', () => {
    chmodSync(join(dataDir, 'acs.sqlite'), 0o644);
    const srv = spawnSync(process.execPath, ['dist/apps/server/src/main.js'], { env, encoding: 'utf8', timeout: 60_000 });
    expect({
      status: srv.status,
      stderr: srv.stderr.slice(-400),
      refused: /acs\.sqlite is accessible to other users \(mode 644\); run chmod 600/.test(srv.stderr),
    }).toMatchObject({ status: 2, refused: true });
    const cli = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', 'audit:verify'], { env, encoding: 'utf8', timeout: 60_000 });
    expect({ status: cli.status, refused: /run chmod 600/.test(cli.stderr) }).toEqual({ status: 2, refused: true });
    expect(mode(join(dataDir, 'acs.sqlite'))).toBe('644');
  });
});
