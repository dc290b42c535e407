import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { type StaffRole, StaffService } from '@acs/auth';
import { FakeClock } from '@acs/clock';
import { type AppConfig, loadConfig } from '@acs/config';
import { AppModule } from '../../apps/server/src/app.module.js';
import { configureApp } from '../../apps/server/src/setup.js';
import { LogCapture } from './log-capture.js';
import { databaseEnvFor, dropDatabaseFor } from './test-database.js';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  clock: FakeClock;
  logs: LogCapture;
  dir: string;
  adminToken: string;
  http(): ReturnType<typeof request>;
  /** Creates a staff account with the role and returns its bearer token. */
  tokenFor(role: StaffRole): Promise<string>;
  close(): Promise<void>;
}

let accounts = 0;

/**
 * The whole server as `npm start` builds it (same modules, same HTTP setup), on a fresh SQLite
 * file in a temp folder (or, with ACS_TEST_DATABASE=postgres, a fresh PostgreSQL database tied to
 * that folder), a fake clock and captured logs.
 */
export async function startTestApp(opts: { env?: Record<string, string>; clock?: FakeClock; dir?: string; keepDir?: boolean } = {}): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'acs-e2e-'));
  // A free port for the embedded broker, so suites never collide.
  const config = loadConfig({
    DATA_DIR: dir,
    ...(await databaseEnvFor(dir)),
    MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'debug',
    MQTT_EMBEDDED_PORT: '0',
    ...opts.env,
  });
  const clock = opts.clock ?? new FakeClock('2026-11-26T09:00:00Z');
  const logs = new LogCapture();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ config, clock, logDestination: logs })],
  }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
  configureApp(app, config);
  await app.init();

  const staff = app.get(StaffService);
  const tokenFor = async (role: StaffRole) => (await staff.create(`e2e-${role}-${++accounts}`, role)).token.token;
  const adminToken = await tokenFor('admin');

  return {
    app,
    config,
    clock,
    logs,
    dir,
    adminToken,
    http: () => request(app.getHttpServer()),
    tokenFor,
    close: async () => {
      await app.close();
      if (!opts.keepDir) {
        await dropDatabaseFor(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
