import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { BadgeInService } from '@acs/badge-in';
import { ReaderLibraryService } from '@acs/reader-fleet';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { badgeAt, bearer, buildBadgeSite, connectController, enrol, post, setupBadgeApp, until, type BadgeSite } from '../badge-in/badge-in-support.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(60_000);

interface AlarmView {
  id: string;
  kind: string;
  state: string;
  doorId: string | null;
  ackNote: string | null;
}

/**
 * The security desk's Live page against the whole server: virtual readers over TCP, virtual
 * door controllers over the embedded broker, a real badge-in, and the page updating from the
 * event stream without a reload.
 */
describe('web console: Live page (security desk)', () => {
  let h: ConsoleHarness;
  let site: BadgeSite;
  let ctlA: VirtualController;
  let ctlB: VirtualController;
  let page: Page;
  let security: string;
  let suiteDoor: string;
  let cageDoor: string;
  let suiteEntryReader: string;
  let company: string;
  const personName = 'Alice Livewell';
  const requested: string[] = [];

  const feed = () => page.getByRole('region', { name: 'Event feed' });
  const doorRow = (name: string) => page.getByRole('region', { name: 'Doors' }).getByRole('row', { name: new RegExp(`^${name}\\b`) });
  /** Door table cells after the row header: relay, contact, mode, alarm, controller. */
  const doorCell = (name: string, column: number) => doorRow(name).getByRole('cell').nth(column);
  const alarmsPanel = () => page.getByRole('region', { name: /Open alarms/ });
  const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const openAlarms = async () => (await h.t.http().get('/alarms?state=open').set(bearer(security)).expect(200)).body as AlarmView[];

  beforeAll(async () => {
    h = await startConsoleHarness({
      env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '5', BADGE_POLL_INTERVAL_MS: '10', MQTT_COMMAND_TIMEOUT_MS: '500', BADGE_UNLOCK_MS: '1000' },
    });
    const t = h.t;
    await setupBadgeApp(t);
    site = await buildBadgeSite(t);
    ctlA = await connectController(t, site.controllerA);
    ctlB = await connectController(t, site.controllerB);
    const alice = await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: personName });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: alice.id });
    await enrol(t, site, alice.id, 1, 'alice-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    const service = t.app.get(BadgeInService);
    await until('controllers online', () => service.doorViews().every((d) => d.controllerStatus === 'online') || undefined);
    const name = async (path: string) => ((await t.http().get(path).set(bearer(t.adminToken)).expect(200)).body as { name: string }).name;
    suiteDoor = await name(`/doors/${site.suiteDoorId}`);
    cageDoor = await name(`/doors/${site.cageDoorId}`);
    suiteEntryReader = await name(`/readers/${site.suiteEntryId}`);
    company = ((await t.http().get(`/customers/${site.customerId}`).set(bearer(t.adminToken)).expect(200)).body as { companyName: string }).companyName;

    security = await t.tokenFor('security');
    ({ page } = await h.newPage());
    page.on('request', (r) => requested.push(r.url()));
    await h.signIn(page, security);
    await page.goto('/console/live');
    await page.locator('.live-stream', { hasText: /Event stream:\s*Live$/ }).waitFor();
    // Set once: if the page reloads, the marker is gone.
    await page.evaluate('window.__liveMarker = "same page"');
  }, 90_000);

  afterAll(async () => {
    await ctlA?.stop();
    await ctlB?.stop();
    await h?.close();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
  });

  const expectSamePage = async () => expect(page.evaluate('window.__liveMarker')).resolves.toBe('same page');

  it('shows the doors by site and zone with their state, and the readers with their connection', async () => {
    await doorRow(suiteDoor).waitFor();
    await expect(text(doorCell(suiteDoor, 0))).resolves.toBe('Locked');
    await expect(text(doorCell(suiteDoor, 1))).resolves.toBe('Closed');
    await expect(text(doorCell(suiteDoor, 2))).resolves.toBe('Normal');
    await expect(text(doorCell(suiteDoor, 4))).resolves.toBe('Online');
    const zoneHeaders = await page.getByRole('region', { name: 'Doors' }).locator('.live-zone th > span').allTextContents();
    expect(zoneHeaders).toEqual(expect.arrayContaining([expect.stringMatching(/^Zone: Suite \d+$/), expect.stringMatching(/^Zone: Cage \d+$/)]));
    const reader = page.getByRole('region', { name: 'Readers', exact: true }).getByRole('row', { name: new RegExp(`^${suiteEntryReader}\\b`) });
    await expect(text(reader)).resolves.toContain('Connected');
    await expect(text(reader)).resolves.toContain(suiteDoor);
  });

  it("shows a granted badge-in live with the door, the customer and the person's name, fetched by id", async () => {
    const o = await badgeAt(h.t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(o.decision).toMatchObject({ granted: true });
    const row = feed().getByRole('row').filter({ hasText: 'Badge-in Entry' }).filter({ hasText: suiteDoor }).filter({ hasText: 'Granted' });
    await row.filter({ hasText: personName }).waitFor();
    await expect(text(row)).resolves.toContain(company);
    await expect(text(row)).resolves.toContain('Identified and authorised');
    await expectSamePage();
    expect(requested.some((u) => u.includes(`/people/${o.decision.personId}`))).toBe(true);
  });

  it('shows a denied attempt with its reason in words', async () => {
    const reasons = (await h.t.http().get('/badge-in/reasons').set(bearer(security)).expect(200)).body as Array<{ code: string; description: string }>;
    const unknown = reasons.find((r) => r.code === 'unknown_finger')!.description;
    const o = await badgeAt(h.t, site.readers.suiteEntry, site.suiteEntryId, 'stranger-left-thumb');
    expect(o.decision).toMatchObject({ granted: false, reason: 'unknown_finger' });
    const row = feed().getByRole('row').filter({ hasText: 'Denied' }).filter({ hasText: unknown });
    await row.waitFor();
    await expect(text(row)).resolves.toContain('Not identified');
    await expect(text(row)).resolves.toContain(suiteDoor);
    await expectSamePage();
  });

  it('updates the door contact live, and a held-open door raises an alarm that appears without reload', async () => {
    ctlA.pressExit(1);
    ctlA.openDoor(1);
    await doorCell(suiteDoor, 1).getByText('Open', { exact: true }).waitFor();
    // The suite door's limit is 1 s: held open past it raises the alarm.
    const alarmRow = alarmsPanel().getByRole('row').filter({ hasText: 'Door held open' }).filter({ hasText: suiteDoor });
    await alarmRow.waitFor({ timeout: 10_000 });
    ctlA.closeDoor(1);
    await doorCell(suiteDoor, 1).getByText('Closed', { exact: true }).waitFor();
    await feed().getByRole('row').filter({ hasText: 'Door closed' }).filter({ hasText: suiteDoor }).first().waitFor();
    // A door opened without a grant or exit request: forced open.
    ctlB.openDoor(1);
    await alarmsPanel().getByRole('row').filter({ hasText: 'Door forced open' }).filter({ hasText: cageDoor }).waitFor();
    await doorCell(cageDoor, 3).getByText('Forced open', { exact: true }).waitFor();
    // One incident, one feed row: the controller's door event and the server's alarm are shown once, as the alarm.
    await feed().getByRole('row').filter({ hasText: 'Alarm raised' }).filter({ hasText: cageDoor }).waitFor();
    await expect(feed().getByRole('row').filter({ hasText: 'Door forced open' }).filter({ hasText: cageDoor }).count()).resolves.toBe(1);
    // Screen readers hear the alarm, not only see it in the table.
    await expect(text(page.locator('.live [aria-live="assertive"]'))).resolves.toBe(`New alarm: Door forced open at ${cageDoor}.`);
    ctlB.closeDoor(1);
    await doorCell(cageDoor, 1).getByText('Closed', { exact: true }).waitFor();
    // Closed again, but the alarm is open until someone acknowledges it: the door row says so.
    await page.waitForTimeout(600);
    await expect(text(doorCell(cageDoor, 3))).resolves.toBe('Forced open');
    await expect(text(doorCell(suiteDoor, 3))).resolves.toBe('Held open');
    await expectSamePage();
    await screenshot(page, '10-live');
  });

  it('acknowledges an alarm from the desk with a note; the server has it acknowledged', async () => {
    const held = (await openAlarms()).find((a) => a.kind === 'held_open' && a.doorId === site.suiteDoorId);
    expect(held).toBeDefined();
    await alarmsPanel()
      .getByRole('button', { name: `Acknowledge: Door held open at ${suiteDoor}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Acknowledge: Door held open' });
    await dialog.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await dialog.getByLabel('Note (optional)').fill('Checked on camera: contractor with a trolley');
    await screenshot(page, '11-live-acknowledge');
    await dialog.getByRole('button', { name: 'Acknowledge alarm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await alarmsPanel().getByRole('row').filter({ hasText: 'Door held open' }).waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Acknowledged: Door held open.' }).waitFor();
    expect((await openAlarms()).map((a) => a.id)).not.toContain(held!.id);
    const after = (await h.t.http().get(`/alarms/${held!.id}`).set(bearer(security)).expect(200)).body as AlarmView;
    expect(after).toMatchObject({ state: 'acknowledged', ackNote: 'Checked on camera: contractor with a trolley' });
    // The forced-open alarm is still open, on the page and on the server.
    await expect(alarmsPanel().getByRole('row').filter({ hasText: 'Door forced open' }).count()).resolves.toBe(1);
    expect((await openAlarms()).some((a) => a.kind === 'forced_open')).toBe(true);
  });

  it("an alarm acknowledged at another desk leaves this desk's open list too", async () => {
    const forced = (await openAlarms()).find((a) => a.kind === 'forced_open')!;
    await h.t.http().post(`/alarms/${forced.id}/acknowledge`).set(bearer(h.t.adminToken)).send({}).expect(200);
    await alarmsPanel().getByRole('row').filter({ hasText: 'Door forced open' }).waitFor({ state: 'detached' });
    await alarmsPanel().getByText('No open alarms').waitFor();
    await expect(openAlarms()).resolves.toEqual([]);
    await doorCell(cageDoor, 3).getByText('None', { exact: true }).waitFor();
  });

  it('filters hide the rows that do not match', async () => {
    const grantedRows = feed().getByRole('row').filter({ hasText: 'Badge-in Entry' }).filter({ hasText: 'Granted' });
    const deniedRows = feed().getByRole('row').filter({ hasText: 'Badge-in Entry' }).filter({ hasText: 'Denied' });
    const doorRows = feed().getByRole('row').filter({ hasText: 'Door closed' });
    await expect(grantedRows.count()).resolves.toBeGreaterThan(0);

    await feed().getByLabel('Result').selectOption('denied');
    await grantedRows.first().waitFor({ state: 'detached' });
    await expect(deniedRows.count()).resolves.toBeGreaterThan(0);
    await expect(doorRows.count()).resolves.toBe(0);

    await feed().getByRole('button', { name: 'Clear filters' }).click();
    await grantedRows.first().waitFor();
    await feed().getByLabel('Door', { exact: true }).selectOption(site.cageDoorId);
    await grantedRows.first().waitFor({ state: 'detached' });
    await expect(feed().getByRole('row').filter({ hasText: suiteDoor }).count()).resolves.toBe(0);
    await expect(feed().getByRole('row').filter({ hasText: cageDoor }).count()).resolves.toBeGreaterThan(0);

    await feed().getByRole('button', { name: 'Clear filters' }).click();
    await feed().getByLabel('Event type').selectOption('door');
    await grantedRows.first().waitFor({ state: 'detached' });
    await expect(doorRows.count()).resolves.toBeGreaterThan(0);
    // Filters are ids in the address, never names.
    expect(page.url()).toContain('type=door');
    await feed().getByRole('button', { name: 'Clear filters' }).click();
    await grantedRows.first().waitFor();
  });

  it('pausing holds new events back until the feed is resumed', async () => {
    const strangers = feed().getByRole('row').filter({ hasText: 'Not identified' });
    const before = await strangers.count();
    await feed().getByRole('button', { name: 'Pause feed' }).click();
    await badgeAt(h.t, site.readers.suiteEntry, site.suiteEntryId, 'stranger-right-thumb');
    await feed()
      .getByText(/Paused · [1-9]\d* new events? waiting/)
      .waitFor();
    await expect(strangers.count()).resolves.toBe(before);
    await feed().getByRole('button', { name: 'Resume feed' }).click();
    await until('resumed row', async () => (await strangers.count()) === before + 1 || undefined);
    await expect(
      feed()
        .getByText(/new events? waiting/)
        .count(),
    ).resolves.toBe(0);
  });

  it('shows a controller going offline and coming back, live', async () => {
    await ctlB.stop();
    await doorCell(cageDoor, 4).getByText('Offline', { exact: true }).waitFor();
    await feed().getByRole('row').filter({ hasText: 'Controller offline' }).first().waitFor();
    // Status messages are ordered by the controller's clock: the new connection must be later than the last will.
    h.t.clock.advance(1000);
    ctlB = await connectController(h.t, site.controllerB);
    await doorCell(cageDoor, 4).getByText('Online', { exact: true }).waitFor();
    await expectSamePage();
  });

  it('says when the stream is down, reconnects by itself and catches up on what it missed', async () => {
    const stream = page.locator('.live-stream');
    await page.route('**/monitor/events*', (route) => route.abort());
    (h.t.app.getHttpServer() as import('node:http').Server).closeAllConnections();
    await stream.filter({ hasText: 'Reconnecting…' }).waitFor();
    // Raised while the desk is not listening: the reconnect re-reads the open alarms.
    ctlB.openDoor(1);
    await until('forced-open alarm', async () => (await openAlarms()).find((a) => a.kind === 'forced_open') ?? undefined);
    await expect(alarmsPanel().getByRole('row').filter({ hasText: 'Door forced open' }).count()).resolves.toBe(0);
    await page.unroute('**/monitor/events*');
    await stream.filter({ hasText: /Event stream:\s*Live$/ }).waitFor({ timeout: 15_000 });
    await alarmsPanel().getByRole('row').filter({ hasText: 'Door forced open' }).filter({ hasText: cageDoor }).waitFor();
    ctlB.closeDoor(1);
    await doorCell(cageDoor, 1).getByText('Closed', { exact: true }).waitFor();
    await expectSamePage();
  });

  it('locks a zone down after confirmation and lifts it again', async () => {
    const zone = page.getByRole('region', { name: 'Doors' }).getByRole('button', { name: /^Lock down zone Suite \d+$/ });
    // Escape cancels without changing anything.
    await zone.click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect(text(doorCell(suiteDoor, 2))).resolves.toBe('Normal');
    await zone.click();
    const dialog = page.getByRole('dialog', { name: /^Lock down zone Suite \d+\?$/ });
    await dialog.getByRole('button', { name: 'Lock down' }).click();
    await dialog.waitFor({ state: 'detached' });
    await doorCell(suiteDoor, 2).getByText('Lockdown', { exact: true }).waitFor();
    const doors = (await h.t.http().get(`/monitor/doors?doorId=${site.suiteDoorId}`).set(bearer(security)).expect(200)).body as Array<{ lockdown: boolean }>;
    expect(doors[0].lockdown).toBe(true);
    await page
      .getByRole('region', { name: 'Doors' })
      .getByRole('button', { name: /^Lift lockdown of zone Suite \d+$/ })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Lift lockdown' }).click();
    await doorCell(suiteDoor, 2).getByText('Normal', { exact: true }).waitFor();
  });

  it('holds one door locked from its row: a badge-in there is denied with the reason, and the hold is released again', async () => {
    await doorRow(suiteDoor).getByRole('button', { name: suiteDoor }).click();
    const dialog = page.getByRole('dialog', { name: `Hold door ${suiteDoor} locked?` });
    await dialog.getByRole('button', { name: 'Hold locked' }).click();
    await dialog.waitFor({ state: 'detached' });
    await doorCell(suiteDoor, 2).getByText('Held locked', { exact: true }).waitFor();
    const held = (await h.t.http().get(`/monitor/doors?doorId=${site.suiteDoorId}`).set(bearer(security)).expect(200)).body as Array<{
      override: string | null;
    }>;
    expect(held[0].override).toBe('locked');
    const o = await badgeAt(h.t, site.readers.suiteEntry, site.suiteEntryId, 'alice-right-index');
    expect(o.decision).toMatchObject({ granted: false, reason: 'door_locked' });
    await feed().getByRole('row').filter({ hasText: 'The door is held locked by an operator.' }).filter({ hasText: personName }).waitFor();
    await doorRow(suiteDoor).getByRole('button', { name: suiteDoor }).click();
    await page
      .getByRole('dialog', { name: `Release the hold on door ${suiteDoor}?` })
      .getByRole('button', { name: 'Release hold' })
      .click();
    await doorCell(suiteDoor, 2).getByText('Normal', { exact: true }).waitFor();
  });

  it('starts and ends an emergency release of the site after confirmation', async () => {
    await page.getByRole('button', { name: /^Emergency release of site BADGE-\d+$/ }).click();
    const dialog = page.getByRole('dialog', { name: /^Start emergency release of site BADGE-\d+\?$/ });
    await dialog.getByRole('button', { name: 'Release doors' }).click();
    await dialog.waitFor({ state: 'detached' });
    await doorCell(suiteDoor, 2).getByText('Emergency release', { exact: true }).waitFor();
    await doorCell(cageDoor, 2).getByText('Emergency release', { exact: true }).waitFor();
    const doors = (await h.t.http().get(`/monitor/doors?siteId=${site.siteId}`).set(bearer(security)).expect(200)).body as Array<{ override: string | null }>;
    expect(doors.map((d) => d.override)).toEqual(['emergency_release', 'emergency_release']);
    await feed().getByRole('row').filter({ hasText: 'Mode: Emergency release' }).first().waitFor();
    await page.getByRole('button', { name: /^End emergency release of site BADGE-\d+$/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End release' }).click();
    await doorCell(suiteDoor, 2).getByText('Normal', { exact: true }).waitFor();
    await doorCell(cageDoor, 2).getByText('Normal', { exact: true }).waitFor();
  });

  it("has no unlabelled controls and never puts a person's name in a URL", async () => {
    expect(await unlabelledControls(page)).toEqual([]);
    expect(requested.filter((u) => /alice|livewell/i.test(decodeURIComponent(u)))).toEqual([]);
    await expectSamePage();
  });
});
