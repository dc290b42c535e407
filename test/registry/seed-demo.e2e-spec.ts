import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemo, type DemoSummary } from '../../apps/cli/src/seed-demo.js';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('acsctl seed:demo', () => {
  let t: TestApp;
  let demo: DemoSummary;
  beforeAll(async () => {
    t = await startTestApp();
    demo = await seedDemo(t.app, t.dir, t.clock.nowMs());
  });
  afterAll(() => t.close());

  it('creates a site whose grants give the documented access', async () => {
    // Thursday 2026-11-26 10:00 local: office hours
    const at = '2026-11-26T09:00:00Z';
    const alice = await t
      .http()
      .get(`/customers/${demo.customers.acme}/people/${demo.people.alice}/access`)
      .query({ at })
      .set(bearer(t.adminToken))
      .expect(200);
    const allowed = (alice.body as Array<{ doorId: string; allowed: boolean }>)
      .filter((d) => d.allowed)
      .map((d) => d.doorId)
      .sort();
    expect(allowed).toEqual([demo.doors.lobby, demo.doors.suiteA, demo.doors.cageA].sort());

    const carolNight = await t
      .http()
      .get(`/customers/${demo.customers.globex}/people/${demo.people.carol}/access`)
      .query({ at: '2026-11-27T02:00:00Z' })
      .set(bearer(t.adminToken))
      .expect(200);
    const suiteB = (carolNight.body as Array<{ doorId: string; allowed: boolean; reason: string }>).find((d) => d.doorId === demo.doors.suiteB);
    expect(suiteB).toMatchObject({ allowed: true });
    const cageA = (carolNight.body as Array<{ doorId: string; reason: string }>).find((d) => d.doorId === demo.doors.cageA);
    expect(cageA?.reason).toBe('no_grant_for_door');
  });

  it('writes the controller credentials to a 0600 file', () => {
    const file = join(t.dir, 'demo.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoSummary;
    expect(Object.keys(saved.controllers).sort()).toEqual(['demo-ctl-main', 'demo-ctl-suites']);
    expect(saved.controllers['demo-ctl-main'].signingSecret).toEqual(demo.controllers['demo-ctl-main'].signingSecret);
  });
});
