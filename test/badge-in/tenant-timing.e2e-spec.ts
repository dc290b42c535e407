import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BadgeInService } from '@acs/badge-in';
import { ReaderLibraryService } from '@acs/reader-fleet';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { badgeAt, buildBadgeSite, connectController, enrol, openSse, post, setupBadgeApp, until, type BadgeSite } from './badge-in-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(60_000);

const UNLOCK_MS = 1000;

// Issue 16, item 8: Globex's live stream showed `not_entered` for its person at the very moment
// another customer's person was admitted at the same door, so the customer learned when the other
// tenant came in. Its own follow-up must come at its own time (the end of its unlock window).
describe("a customer's live stream and another tenant's admission at the same door", () => {
  let t: TestApp;
  let site: BadgeSite;
  let ctl: VirtualController;
  let globexPerson: string;
  let otherPerson: string;
  let globexToken: string;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        READER_SYNC_INTERVAL_S: '3600',
        ENROLMENT_TIMEOUT_S: '5',
        BADGE_POLL_INTERVAL_MS: '10',
        MQTT_COMMAND_TIMEOUT_MS: '500',
        BADGE_UNLOCK_MS: String(UNLOCK_MS),
      },
    });
    await setupBadgeApp(t);
    site = await buildBadgeSite(t);
    ctl = await connectController(t, site.controllerA);
    const other = await post<{ id: string }>(t, '/customers', {
      companyName: 'Initech B.V.',
      contractRef: `INI-${Date.now() % 100000}`,
      serviceStart: '2026-01-01T00:00:00+01:00',
    });
    globexPerson = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Gina Globex' })).id;
    otherPerson = (await post<{ id: string }>(t, `/customers/${other.id}/people`, { fullName: 'Ivan Initech' })).id;
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: globexPerson });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: other.id, personId: otherPerson });
    await enrol(t, site, globexPerson, 1, 'gina-right-index');
    await enrol(t, site, otherPerson, 1, 'ivan-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    t.app.get(BadgeInService).on('badge', () => undefined);
    globexToken = (await post<{ token: string }>(t, `/customers/${site.customerId}/tokens`, { label: 'live' })).token;
    await until('controller online', () =>
      t.app
        .get(BadgeInService)
        .doorViews()
        .find((d) => d.doorId === site.suiteDoorId && d.controllerStatus === 'online'),
    );
  });

  afterAll(async () => {
    await ctl?.stop();
    await t?.close();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
  });

  it('gives Globex its not_entered at the end of its own unlock window, not when the other person is admitted', async () => {
    const stream = await openSse(t, `/customers/${site.customerId}/monitor/events`, globexToken);
    try {
      const gina = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'gina-right-index');
      const grantedAt = Date.now();
      expect(gina.decision).toMatchObject({ granted: true, personId: globexPerson });
      const ivan = await badgeAt(t, site.readers.suiteEntry, site.suiteEntryId, 'ivan-right-index');
      const otherAdmittedAt = Date.now();
      expect(ivan.decision).toMatchObject({ granted: true, personId: otherPerson });
      expect(otherAdmittedAt - grantedAt).toBeLessThan(UNLOCK_MS);

      const followUp = await until('Globex follow-up', () => stream.events.find((e) => e.event === 'follow_up' && e.data.attemptId === gina.attemptId), 8000);
      const arrivedAt = Date.now();
      expect(followUp.data).toMatchObject({ reason: 'not_entered', customerId: site.customerId });
      // Not at the other admission: only once Globex's own unlock window had passed.
      expect(arrivedAt - grantedAt).toBeGreaterThanOrEqual(UNLOCK_MS);
      expect(stream.events.every((e) => e.data.customerId === site.customerId)).toBe(true);
      expect(JSON.stringify(stream.events)).not.toContain(otherPerson);
    } finally {
      stream.close();
    }
  });
});
