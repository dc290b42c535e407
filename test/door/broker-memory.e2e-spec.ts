import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { connectRawClient, freePort } from '@acs/mqtt/testing';
import { databaseEnvFor, dropDatabaseFor } from '../support/test-database.js';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(120_000);

const MB = 1024 * 1024;

/** Resident set of a process (Linux /proc, VmRSS in kB): what the host pays, heap and buffers alike. */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

/**
 * Issue 16 item 1, measured where it hurts: the server as `npm start` runs it, in its own process,
 * under 20 hostile clients (10 that never log in and announce a 200 MB CONNECT, 10 logged-in
 * controllers announcing a 200 MB PUBLISH), each streaming as fast as loopback takes it and
 * starting over 50 ms after the broker closes it, for 6 s, from another process. The server's RSS
 * must stay within 50 MB of its idle level, /health must answer promptly, and a real controller
 * must still log in. On the unpatched broker each client's bytes are buffered (8 MB per attempt
 * here, 160 MB at once) and the test fails.
 */
describe('broker memory under 20 hostile clients (server process)', () => {
  let dir: string;
  let server: ChildProcess;
  let base: string;
  let mqttPort: number;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acs-mqtt-memory-'));
    const port = await freePort();
    mqttPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      DATA_DIR: dir,
      ...(await databaseEnvFor(dir)),
      MASTER_KEY: randomBytes(32).toString('base64'),
      HTTP_PORT: String(port),
      MQTT_EMBEDDED_PORT: String(mqttPort),
      // The per-address cap and the refusal penalty would stop most of these clients at accept: here
      // the packet gate must hold alone. Each client streams, is cut off, and starts over 50 ms
      // later: the reported attack is bytes, not connection churn. Churn at thousands of
      // connections a second is the penalty's and the caps' job (under-mqtt-attack.e2e-spec.ts
      // runs with them); without them it costs the server garbage per connection (+84-94 MB peak
      // RSS at 1,400 connections/s on a quiet machine), not buffered bytes.
      MQTT_MAX_CONNECTIONS_PER_ADDRESS: '100',
      MQTT_REFUSAL_PENALTY_S: '0',
      READERS_ENABLED: 'false',
      PURGE_SCHEDULE_ENABLED: 'false',
      LOG_LEVEL: 'error',
    };
    server = spawn(process.execPath, ['dist/apps/server/src/main.js'], { env, stdio: 'ignore' });
    for (const deadline = Date.now() + 60_000; ;) {
      if (
        await request(base)
          .get('/health')
          .then((r) => r.status === 200)
          .catch(() => false)
      )
        break;
      if (Date.now() > deadline) throw new Error('server did not start');
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await dropDatabaseFor(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays within 50 MB of idle, answers /health and admits a real controller during the attack', async () => {
    const admin = JSON.parse(
      execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'staff:create', '--role', 'admin', '--username', 'memory-admin', '--json'], {
        env,
      }).toString(),
    ) as { token: string };
    const auth = { Authorization: `Bearer ${admin.token}` };
    const site = (await request(base).post('/sites').set(auth).send({ name: 'Memory site', timeZone: 'Europe/Amsterdam' }).expect(201)).body as { id: string };
    const controllers: Array<{ mqttUsername: string; mqttPassword: string }> = [];
    for (let i = 0; i < 11; i++) {
      controllers.push(
        (
          await request(base)
            .post('/controllers')
            .set(auth)
            .send({ siteId: site.id, name: `Memory ${i}`, mqttId: `memory-ctl-${i}` })
            .expect(201)
        ).body,
      );
    }
    const honest = controllers.pop()!;

    // Idle: after start-up work has settled, the highest of a few samples.
    await sleep(1500);
    let idle = 0;
    for (let i = 0; i < 10; i++, await sleep(100)) idle = Math.max(idle, rssOf(server.pid!));

    const flood = new Promise<{ attempts: number; closedByServer: number; bytes: number; refusedLogins: number }>((resolve, reject) => {
      const cfg = {
        port: mqttPort,
        anonymous: 10,
        logins: controllers.map((c) => ({ id: c.mqttUsername, password: c.mqttPassword })),
        announce: 200 * MB,
        perAttempt: 8 * MB,
        durationMs: 6000,
        pauseMs: 50,
      };
      execFile(process.execPath, ['test/support/mqtt-flood.mjs', JSON.stringify(cfg)], { maxBuffer: MB }, (err, stdout) =>
        err ? reject(err) : resolve(JSON.parse(stdout)),
      );
    });
    let peak = 0;
    let slowestHealth = 0;
    let honestLoggedIn = false;
    let attacking = true;
    void flood.finally(() => (attacking = false)).catch(() => {});
    await sleep(300);
    while (attacking) {
      peak = Math.max(peak, rssOf(server.pid!));
      const t0 = Date.now();
      await request(base).get('/health').expect(200);
      slowestHealth = Math.max(slowestHealth, Date.now() - t0);
      if (!honestLoggedIn) {
        const c = await connectRawClient(`mqtt://127.0.0.1:${mqttPort}`, {
          username: honest.mqttUsername,
          password: honest.mqttPassword,
          clientId: honest.mqttUsername,
        });
        honestLoggedIn = c.connected;
        await c.endAsync();
      }
      await sleep(50);
    }
    const stats = await flood;
    process.stdout.write(
      `broker memory: idle ${(idle / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB, ${stats.attempts} attempts, ${(stats.bytes / MB).toFixed(0)} MB sent, /health worst ${slowestHealth} ms\n`,
    );
    expect(peak - idle).toBeLessThan(50 * MB);

    expect(stats).toMatchObject({ refusedLogins: 0 });
    // The attack really ran: many attempts, each cut short by the broker.
    expect(stats.attempts).toBeGreaterThan(100);
    expect(stats.closedByServer).toBe(stats.attempts);
    expect(honestLoggedIn).toBe(true);
    expect(slowestHealth).toBeLessThan(500);
  });
});
