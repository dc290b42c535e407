import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processEnv } from '@acs/config';
import { databaseEnvFor } from '../support/test-database.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

/**
 * What a newcomer does after `npm start`: `acsctl seed:demo` in another terminal, then looks at
 * the console. The running server must show the new doors and readers within seconds, without a
 * restart (the e2e global setup builds dist/apps/cli).
 */
describe('changes written by acsctl reach a running server', () => {
  let t: TestApp;
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    t = await startTestApp({ env: { MASTER_KEY: masterKey, CLI_CHANGE_POLL_MS: '200', READERS_ENABLED: 'false' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('shows the demo doors and readers seeded by acsctl within a few seconds', async () => {
    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const doors = async () => (await t.http().get('/monitor/doors').set(auth).expect(200)).body as unknown[];
    expect(await doors()).toHaveLength(0);

    const env = { ...processEnv(), DATA_DIR: t.dir, MASTER_KEY: masterKey, ...(await databaseEnvFor(t.dir)), LOG_LEVEL: 'warn' };
    await run(process.execPath, ['dist/apps/cli/src/main.js', 'seed:demo'], { env });

    const deadline = Date.now() + 5000;
    let seen = await doors();
    while (seen.length === 0 && Date.now() < deadline) {
      await sleep(100);
      seen = await doors();
    }
    expect(seen.length).toBeGreaterThanOrEqual(5);
    const readers = (await t.http().get('/monitor/readers').set(auth).expect(200)).body as unknown[];
    expect(readers.length).toBeGreaterThanOrEqual(5);
  });
});
