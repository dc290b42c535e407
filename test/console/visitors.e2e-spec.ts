import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { BadgeInService, type BadgeOutcome } from '@acs/badge-in';
import { CardFleet } from '@acs/card-fleet';
import { ErasureService } from '@acs/compliance';
import { CredentialService, type CardRead } from '@acs/credentials';
import { DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { OutboxWorker } from '@acs/notifications';
import { startVirtualController } from '@acs/mqtt/testing';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { leaks } from '../support/personal-data.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { axeViolations } from './axe.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';

jest.setTimeout(120_000);

const PASSWORD = 'violet staple orbit canyon';
const PORTAL_ADDRESS = 'reception@zeeland-colo.example';
const DAY = 86_400_000;
/** 26-bit Wiegand reads (H10301), one per card. */
const wiegand = (seed: number): CardRead => ({ format: 'wiegand', bitCount: 26, data: Buffer.from([1, 3, seed, 0x40]) });
const HOST_CARD = wiegand(0x21);
const VISITOR_CARD = wiegand(0x22);

const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

/**
 * Visitors (issue 20) in Chromium: a customer administrator registers a visitor (and cancels
 * another visit), the security desk (another browser) sees the count on Live, ticks that the ID
 * document was checked and checks the visitor in, and the customer administrator's "visitor
 * arrived" mail reaches a real SMTP server without the visitor's name; the desk issues the visitor
 * a card from Visitors today; at the suite door the visitor's card alone waits for the host, the
 * host's card lets both in (escorted); after the window and the retention period (fake clock) the
 * visitor's data is erased, with a certificate, and the customer's page shows the visit as erased.
 */
describe('web console: visitors', () => {
  let h: ConsoleHarness;
  let site: SiteFixture;
  let customer: { id: string };
  let host: { id: string };
  let doorCardReader: string;
  let deskCardReader: string;
  let controller: VirtualController;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    h = await startConsoleHarness({
      env: {
        VISITOR_RETENTION_DAYS: '2',
        VISITOR_SWEEP_INTERVAL_S: '1',
        BADGE_UNLOCK_MS: '2000',
        // The outbox's rounds are left to the test.
        SMTP_URL: smtp.url,
        SMTP_TLS_VERIFY: 'false',
        NOTIFY_POLL_S: '3600',
      },
    });
    h.t.app.get(ErasureService).pollMs = 100;
    site = await buildSite(h.t);
    customer = await createCustomer(h.t, { companyName: 'Zeeland Colo B.V.' });
    host = await createPerson(h.t, customer.id, { fullName: 'Henk Gastheer' });
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: customer.id });
    const created = await h.t.http().post(`/customers/${customer.id}/admins`).set(bearer(h.t.adminToken)).send({ username: 'zeeland-portal' }).expect(201);
    await h.t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);

    // The suite door opens by card (or finger); a card reader on a closed TCP port: the tests stand in for it.
    await h.t.http().patch(`/zones/${site.suiteZoneId}`).set(bearer(h.t.adminToken)).send({ credentialPolicy: 'fingerprint|card' }).expect(200);
    const bus = await post<{ id: string }>(h.t, '/osdp-buses', { siteId: site.siteId, name: 'Suite line', transport: 'tcp://127.0.0.1:9' });
    doorCardReader = (await post<{ id: string }>(h.t, '/card-readers', { busId: bus.id, name: 'Suite card reader', address: 2, role: 'door' })).id;
    deskCardReader = (await post<{ id: string }>(h.t, '/card-readers', { busId: bus.id, name: 'Desk card reader', address: 1, role: 'enrolment' })).id;
    await h.t.http().patch(`/doors/${site.suiteDoorId}`).set(bearer(h.t.adminToken)).send({ entryCardReaderId: doorCardReader }).expect(200);
    const secrets = (await h.t.http().post(`/controllers/${site.controllerId}/rotate-secrets`).set(bearer(h.t.adminToken)).expect(201)).body as {
      mqttUsername: string;
      mqttPassword: string;
      signingSecret: string;
    };
    controller = await startVirtualController(
      h.t.app.get(MqttEdge).broker!.url,
      { controllerId: secrets.mqttUsername, password: secrets.mqttPassword, secret: Buffer.from(secrets.signingSecret, 'base64') },
      { clock: h.t.clock, doors: 2 },
    );
    const fleet = h.t.app.get(CardFleet);
    const doors = h.t.app.get(DoorCommandService);
    for (let i = 0; !fleet.has(doorCardReader) || !fleet.has(deskCardReader) || doors.status(secrets.mqttUsername) !== 'online'; i++) {
      if (i > 400) throw new Error('the card reader bus or the controller never came up');
      await sleep(25);
    }
    await h.t.app.get(CredentialService).issueCard({ customerId: customer.id, personId: host.id, read: HOST_CARD });
  }, 120_000);

  afterAll(async () => {
    await controller?.stop();
    await h?.close();
    await smtp?.stop();
  });

  const signInPortal = async (page: Page) => {
    await page.goto('/console/');
    await page.getByLabel('Username').fill('zeeland-portal');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await nav(page).waitFor();
  };

  /** A card at the suite door's reader; resolves with the decision once its actions are done. */
  const presentCard = async (read: CardRead): Promise<BadgeOutcome> => {
    const service = h.t.app.get(BadgeInService);
    const outcome = new Promise<BadgeOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no badge-in at the suite card reader')), 10_000);
      const on = (o: BadgeOutcome) => {
        if (o.decision.readerId !== doorCardReader) return;
        clearTimeout(timer);
        service.off('badge', on);
        resolve(o);
      };
      service.on('badge', on);
    });
    h.t.app.get(CardFleet).emit('card', { readerId: doorCardReader, read, at: h.t.clock.nowMs() });
    const o = await outcome;
    await o.done;
    return o;
  };

  it('registers a visitor, checks them in at the desk, lets them in only with their host, and erases them after the retention period', async () => {
    // The customer administrator registers the visitor.
    const portal = await h.newPage();
    await signInPortal(portal.page);
    // Their own address for notifications, on their Security page.
    await portal.page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Security' }).click();
    await portal.page.getByLabel('Your e-mail address').fill(PORTAL_ADDRESS);
    await portal.page.getByRole('button', { name: 'Save notifications' }).click();
    await portal.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await nav(portal.page).getByRole('link', { name: 'Visitors' }).click();
    await portal.page.getByRole('heading', { name: 'Visitors', level: 1 }).waitFor();
    await portal.page.getByLabel("Visitor's full name").fill('Wilma Bezoeker');
    await portal.page.getByLabel('Company').fill('Kabelwerk Delta B.V.');
    await portal.page.getByLabel("Visitor's e-mail").fill('wilma@example.com');
    await portal.page.getByLabel('Host').selectOption({ label: 'Henk Gastheer' });
    const suite = (await h.t.http().get(`/access-levels/${site.suiteLevelId}`).set(bearer(h.t.adminToken)).expect(200)).body.name as string;
    await portal.page.getByLabel('Access level').selectOption({ label: suite });
    // The server's (fake) clock says 2026-11-26 09:00 UTC; the window is that day in the browser's zone.
    await portal.page.getByLabel('Date').fill('2026-11-26');
    await portal.page.getByLabel('Arrives from').fill('08:00');
    await portal.page.getByLabel('Access until').fill('18:00');
    await portal.page.getByRole('button', { name: 'Register visitor' }).click();
    await portal.page.getByRole('status').filter({ hasText: 'Wilma Bezoeker is expected on 2026-11-26' }).waitFor();
    await expect(portal.page.getByRole('row', { name: /Wilma Bezoeker/ }).textContent()).resolves.toContain('expected');
    expect(await unlabelledControls(portal.page)).toEqual([]);
    await screenshot(portal.page, 'portal-visitor-registered');
    const registered = (await h.t.http().get(`/customers/${customer.id}/visitors`).set(bearer(h.t.adminToken)).expect(200)).body as Array<{
      id: string;
      windowStart: string;
      windowEnd: string;
    }>;
    expect(registered).toHaveLength(1);
    const visit = registered[0]!;

    // Another visit the same day is called off: cancelled, the desk will not check it in.
    await h.t
      .http()
      .post(`/customers/${customer.id}/visitors`)
      .set(bearer(h.t.adminToken))
      .send({ fullName: 'Karel Afzegger', hostPersonId: host.id, accessLevelId: site.suiteLevelId, windowStart: visit.windowStart, windowEnd: visit.windowEnd })
      .expect(201);
    await portal.page.getByRole('button', { name: 'Refresh' }).click();
    await portal.page.getByRole('button', { name: 'Cancel visit of Karel Afzegger' }).click();
    await portal.page
      .getByRole('row', { name: /Karel Afzegger/ })
      .filter({ hasText: 'cancelled' })
      .waitFor();
    await expect(portal.page.getByRole('button', { name: 'Cancel visit of Karel Afzegger' }).count()).resolves.toBe(0);

    // The desk, in its own browser: the count on Live, then the visitors of today.
    const desk = await h.newPage();
    await h.signIn(desk.page, await h.t.tokenFor('security'));
    await desk.page.getByTestId('visitors-today').filter({ hasText: '1 expected' }).waitFor();
    await nav(desk.page).getByRole('link', { name: 'Visitors today' }).click();
    const row = desk.page.getByRole('row', { name: /Wilma Bezoeker/ });
    await expect(row.textContent()).resolves.toContain('Zeeland Colo B.V.');
    await row.filter({ hasText: 'Henk Gastheer' }).waitFor();
    const checkIn = row.getByRole('button', { name: 'Check in Wilma Bezoeker' });
    await expect(checkIn.isDisabled()).resolves.toBe(true);
    await row.getByLabel('ID document checked for Wilma Bezoeker').check();
    await checkIn.click();
    await desk.page
      .getByRole('row', { name: /Wilma Bezoeker/ })
      .filter({ hasText: 'escorted by host' })
      .waitFor();
    await expect(
      desk.page
        .getByRole('row', { name: /Karel Afzegger/ })
        .filter({ hasText: 'cancelled' })
        .count(),
    ).resolves.toBe(1);
    expect(await unlabelledControls(desk.page)).toEqual([]);
    await screenshot(desk.page, 'desk-visitors-today');
    expect(await axeViolations(desk.page)).toEqual([]);

    // The customer administrator hears of the arrival by mail: the visit's id, not the visitor's name.
    expect(await h.t.app.get(OutboxWorker).round()).toEqual({ sent: 1, failed: 0, dropped: 0 });
    const mails = smtp.to(PORTAL_ADDRESS);
    expect(mails.map((m) => m.subject)).toEqual(['[ACS] Visitor arrived']);
    expect(mails[0]!.text).toContain(`Visitor ${visit.id} arrived at the security desk at `);
    expect(mails[0]!.text).toContain('/console/portal-visitors');
    expect(leaks(mails[0]!.raw, ['Wilma', 'Bezoeker', 'wilma@example.com', 'Kabelwerk', 'Henk', 'Gastheer'])).toEqual([]);

    // The desk issues the visitor's card from the same row (the visitor's person's id is the visit's).
    const fleet = h.t.app.get(CardFleet);
    const listening = fleet.listenerCount('card');
    await desk.page.getByRole('button', { name: 'Issue card to Wilma Bezoeker' }).click();
    await desk.page.getByRole('status').filter({ hasText: 'present the new card' }).waitFor();
    for (let i = 0; fleet.listenerCount('card') <= listening; i++) {
      if (i > 500) throw new Error('nobody started waiting for a card at the desk');
      await sleep(10);
    }
    fleet.emit('card', { readerId: deskCardReader, read: VISITOR_CARD, at: h.t.clock.nowMs() });
    await desk.page.getByRole('status').filter({ hasText: 'issued to Wilma Bezoeker, valid until the visit ends' }).waitFor();
    const [visitorCard] = await h.t.app.get(CredentialService).listPersonCards(visit.id);
    expect(visitorCard).toMatchObject({ state: 'active', validUntil: Date.parse(visit.windowEnd) });
    await screenshot(desk.page, 'desk-visitor-card-issued');
    const alone = await presentCard(VISITOR_CARD);
    expect(alone.decision).toMatchObject({ granted: false, reason: 'escort_pending', personId: visit.id });
    h.t.clock.advance(5_000);
    const withHost = await presentCard(HOST_CARD);
    expect(withHost.decision).toMatchObject({ granted: true, reason: 'escorted', personId: host.id, companionPersonId: visit.id });
    const history = await h.t.http().get(`/doors/${site.suiteDoorId}/access-events`).query({ limit: 50 }).set(bearer(h.t.adminToken)).expect(200);
    const reasons = (history.body.items as Array<{ reason: string; personId: string | null }>).map((e) => [e.reason, e.personId]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['escort_pending', visit.id],
        ['escorted', host.id],
      ]),
    );

    // Nobody checks out: the window ends, then the retention period (2 days); the sweep runs every second on the fake clock.
    h.t.clock.advance(DAY);
    await desk.page.getByRole('button', { name: 'Refresh' }).click();
    h.t.clock.advance(2 * DAY);
    const erased = async () => {
      for (let i = 0; i < 600; i++) {
        const v = (await h.t.http().get(`/customers/${customer.id}/visitors/${visit.id}`).set(bearer(h.t.adminToken)).expect(200)).body as {
          status: string;
          erasureJobId: string | null;
        };
        if (v.status === 'erased' && v.erasureJobId) return v.erasureJobId;
        await sleep(100);
      }
      throw new Error('the visit was not erased');
    };
    const jobId = await erased();
    // The erasure finishes with a certificate, like any erasure.
    const finished = async () => {
      for (let i = 0; i < 600; i++) {
        const job = (await h.t.http().get(`/compliance/erasures/${jobId}`).set(bearer(h.t.adminToken)).expect(200)).body as {
          state: string;
          kind: string;
          certificateIds: string[];
        };
        if (job.state === 'done') return job;
        await sleep(100);
      }
      throw new Error("the visit's erasure did not finish");
    };
    expect(await finished()).toMatchObject({ kind: 'visitor', certificateIds: [expect.any(String)] });
    // Three days on, the browser session has long expired: the administrator signs in again.
    await portal.context.clearCookies();
    await signInPortal(portal.page);
    await nav(portal.page).getByRole('link', { name: 'Visitors' }).click();
    const gone = portal.page.locator(`tr[data-visitor="${visit.id}"]`);
    await gone.waitFor();
    await expect(gone.textContent()).resolves.toContain('erased');
    await expect(portal.page.getByText('Wilma Bezoeker').count()).resolves.toBe(0);
    await screenshot(portal.page, 'portal-visitor-erased');
  });
});
