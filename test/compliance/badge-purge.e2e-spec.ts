import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { BadgeInService } from '@acs/badge-in';
import { ErasureService } from '@acs/compliance';
import { FingerprintTemplateEntity, ReaderLibraryService } from '@acs/reader-fleet';
import { PersonEntity } from '@acs/registry';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { badgeAt, buildBadgeSite, connectController, enrol, setupBadgeApp, until, type BadgeSite } from '../badge-in/badge-in-support.js';
import { flashTemplates } from '../enrolment/enrolment-support.js';
import { leaks, PERSON } from '../support/personal-data.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { endService, scanDatabase } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(60_000);

/** The end-to-end: enrol, badge in, end the service, purge; the finger is then unknown at every door. */
describe('purge with badge-in (virtual readers and controllers)', () => {
  let t: TestApp;
  let site: BadgeSite;
  let ctlA: VirtualController;
  let ctlB: VirtualController;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        READER_SYNC_INTERVAL_S: '3600',
        ENROLMENT_TIMEOUT_S: '5',
        BADGE_POLL_INTERVAL_MS: '10',
        MQTT_COMMAND_TIMEOUT_MS: '500',
        BADGE_UNLOCK_MS: '1000',
        PURGE_SCHEDULE_ENABLED: 'false',
      },
    });
    await setupBadgeApp(t);
    site = await buildBadgeSite(t);
    ctlA = await connectController(t, site.controllerA);
    ctlB = await connectController(t, site.controllerB);
    t.app.get(BadgeInService).on('badge', () => undefined);
    await until(
      'controllers online',
      () =>
        t.app
          .get(BadgeInService)
          .doorViews()
          .every((d) => d.controllerStatus === 'online') || undefined,
    );
  });

  afterAll(async () => {
    await ctlA?.stop();
    await ctlB?.stop();
    await t?.close();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
  });

  it('a granted finger becomes an unknown finger at every door after the purge, and nothing of the person is left in the files', async () => {
    const ds = t.app.get(DataSource);
    const person = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { ...PERSON });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: person.id });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: site.customerId, personId: person.id });
    await enrol(t, site, person.id, 1, 'marlies-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));

    const doors = [
      [site.readers.suiteEntry, site.suiteEntryId],
      [site.readers.suiteExit, site.suiteExitId],
      [site.readers.cageEntry, site.cageEntryId],
    ] as const;
    for (const [device, readerId] of doors) {
      const o = await badgeAt(t, device, readerId, 'marlies-right-index');
      expect(o.decision).toMatchObject({ granted: true, personId: person.id });
    }

    const row = await ds.getRepository(PersonEntity).findOneByOrFail({ id: person.id });
    const tpl = await ds.getRepository(FingerprintTemplateEntity).findOneByOrFail({ personId: person.id });
    const values = { plaintext: Object.values(PERSON), ciphertexts: [row.nameCt, row.emailCt!, row.phoneCt!, tpl.templateCt] };
    expect((await scanDatabase(t, values)).ciphertext).toBeGreaterThanOrEqual(4);

    await endService(t, site.customerId);
    const compliance = await t.tokenFor('compliance');
    const started = await t.http().post(`/compliance/customers/${site.customerId}/purge`).set(bearer(compliance)).expect(202);
    const job = await waitForErasure(t.app.get(ErasureService), started.body.id as string);
    expect(job.state).toBe('done');

    for (const d of Object.values(site.readers)) expect(flashTemplates(d).size).toBe(0);
    for (const [device, readerId] of doors) {
      const o = await badgeAt(t, device, readerId, 'marlies-right-index');
      expect(o.decision).toMatchObject({ granted: false, reason: 'unknown_finger', personId: null, customerId: null });
    }
    expect(await scanDatabase(t, values)).toEqual({ plaintext: 0, ciphertext: 0 });
    expect(leaks(t.logs.text())).toEqual([]);
  });
});
