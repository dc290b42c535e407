import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { freePort } from '@acs/mqtt/testing';
import { databaseEnvFor } from './test-database.js';

/**
 * The built server (dist/, fresh from the e2e global setup) as a child process over a data
 * folder: the tests that must kill it with SIGKILL, or open its files from other processes while
 * it runs, cannot use the in-process TestApp. One helper so every such test starts, waits for and
 * kills the server the same way (it was written out in five specs).
 */
export class SpawnedServer {
  private proc: ChildProcess | undefined;

  private constructor(
    /** The environment every start uses (and acsctl runs with). */
    readonly env: NodeJS.ProcessEnv,
    /** http://127.0.0.1:<HTTP_PORT> */
    readonly base: string,
  ) {}

  /**
   * Ports are free ones; the database is SQLite in `dataDir`, or a database of its own on the local
   * PostgreSQL when the suite runs there (test-database.ts). `extra` adds or overrides settings.
   */
  static async over(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      ...(await databaseEnvFor(dataDir)),
      MASTER_KEY: randomBytes(32).toString('base64'),
      HTTP_PORT: String(port),
      MQTT_EMBEDDED_PORT: String(await freePort()),
      READER_SYNC_INTERVAL_S: '3600',
      PURGE_SCHEDULE_ENABLED: 'false',
      LOG_LEVEL: 'error',
      ...extra,
    };
    return new SpawnedServer(env, `http://127.0.0.1:${port}`);
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  http(): ReturnType<typeof request> {
    return request(this.base);
  }

  /** Starts the server (killing one left running by a failed case) and waits for /health. */
  async start(extra: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<void> {
    if (this.proc) await this.kill();
    const proc = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env: { ...this.env, ...extra }, stdio: 'ignore' });
    this.proc = proc;
    let exited: number | null | undefined;
    proc.once('exit', (code) => (exited = code));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`server exited with ${exited} before it answered /health`);
      const ok = await this.http()
        .get('/health')
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error('server did not start');
      await sleep(100);
    }
  }

  /** SIGKILL, as a power cut or the OOM killer would: no shutdown hook runs. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  /** acsctl as the README runs it: another process over the same data folder and database. */
  acsctl(...args: string[]): { status: number | null; out: string } {
    const r = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: this.env, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** acsctl with --json, parsed; throws on a non-zero exit. */
  acsctlJson<T>(...args: string[]): T {
    return JSON.parse(execFileSync(process.execPath, ['dist/apps/cli/src/main.js', ...args, '--json'], { env: this.env }).toString()) as T;
  }
}
