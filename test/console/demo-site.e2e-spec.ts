import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { BadgeInService } from '@acs/badge-in';
import { ReaderLibraryService } from '@acs/reader-fleet';
import { type EnrolmentView } from '@acs/enrolment';
import { MqttEdge } from '@acs/mqtt';
import { startVirtualController } from '@acs/mqtt/testing';
import { seedDemo, type DemoSummary } from '../../apps/cli/src/seed-demo.js';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { badgeAt, bearer, post, setupBadgeApp, until } from '../badge-in/badge-in-support.js';
import { actAtDesk, startVirtualReader, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { screenshot, startConsoleHarness, type ConsoleHarness } from './console-support.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(120_000);

/**
 * The console as a new user sees it: the demo site (acsctl seed:demo) with its readers and
 * controllers connected, a few badge-ins and a forced door, every page at the two desk screen
 * sizes. Each page must load without a console error or a failed request, no table may run past
 * its card, and the screenshots are kept (test-output/console-screenshots, a CI artefact).
 */
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];
const CHECK_INTERVAL_S = 900;

/** Runs in the page: cards (and scroll boxes) holding a table whose content is wider than they are. */
const OVERFLOWING_CARDS = `(() => {
  const out = [];
  for (const e of document.querySelectorAll('.panel, .table-wrap, .live-doors-scroll, .live-scroll')) {
    if (!e.querySelector('table')) continue;
    if (e.scrollWidth > e.clientWidth + 1) out.push((e.getAttribute('aria-labelledby') || e.className) + ': ' + e.scrollWidth + ' > ' + e.clientWidth);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page: ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth);
  return out;
})()`;

describe('web console with the demo site, at 1366x768 and 1920x1080', () => {
  let h: ConsoleHarness;
  let demo: DemoSummary;
  const readers: Record<string, VirtualDevice> = {};
  const controllers: VirtualController[] = [];
  let reasons: Array<{ code: string; description: string }>;

  beforeAll(async () => {
    h = await startConsoleHarness({ env: { BADGE_POLL_INTERVAL_MS: '10', READER_SYNC_INTERVAL_S: '3600', PURGE_CHECK_INTERVAL_S: String(CHECK_INTERVAL_S) } });
    const t = h.t;
    await setupBadgeApp(t);
    demo = await seedDemo(t.app, t.dir, t.clock.nowMs());
    // The demo's readers point at fixed ports; these virtual ones listen on free ports instead.
    for (const [name, id] of Object.entries(demo.readers)) {
      readers[name] = await startVirtualReader(t.dir);
      await t.http().patch(`/readers/${id}`).set(bearer(t.adminToken)).send({ transport: readers[name].url }).expect(200);
    }
    const url = t.app.get(MqttEdge).broker!.url;
    for (const c of Object.values(demo.controllers)) {
      controllers.push(
        await startVirtualController(
          url,
          { controllerId: c.mqttId, password: c.mqttPassword, secret: Buffer.from(c.signingSecret, 'base64') },
          { clock: t.clock, doors: 3 },
        ),
      );
    }
    const started = await post<EnrolmentView>(t, '/enrolments', { personId: demo.people.alice, finger: 1, readerId: demo.readers.desk });
    const { final } = await actAtDesk(t, readers.desk.device, started.id, 'alice-right-index');
    if (final.status !== 'enrolled') throw new Error(`the demo enrolment ended ${final.status}`);
    await librarySettled(t.app.get(ReaderLibraryService));
    const service = t.app.get(BadgeInService);
    await until(
      'readers and controllers up',
      () => (service.doorViews().every((d) => d.controllerStatus === 'online') && service.readerViews().every((r) => r.readerState === 'ready')) || undefined,
      30_000,
    );
    reasons = (await t.http().get('/badge-in/reasons').set(bearer(t.adminToken)).expect(200)).body as typeof reasons;
  }, 120_000);

  afterAll(async () => {
    for (const c of controllers) await c.stop();
    await h?.close();
    await Promise.all(Object.values(readers).map((d) => d.close()));
  });

  const text = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();

  /**
   * Console errors and failed requests of one page. Requests the browser aborts because the test
   * left the page (navigation cancels them) are not failures; any other abort is.
   */
  function watch(page: Page) {
    let problems: string[] = [];
    let leaving = false;
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console error: ${m.text()}`)));
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
    page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`)));
    page.on('requestfailed', (r) => {
      if (leaving && r.failure()?.errorText === 'net::ERR_ABORTED') return;
      problems.push(`failed ${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`);
    });
    let inflight = 0;
    page.on('request', () => void inflight++);
    page.on('requestfinished', () => void inflight--);
    page.on('requestfailed', () => void inflight--);
    return {
      /** Waits until no request other than the live stream is open for a moment. */
      settle: async (streams = 0) => {
        await until(
          'requests settled',
          async () => {
            if (inflight > streams) return undefined;
            await page.waitForTimeout(300);
            return inflight <= streams || undefined;
          },
          15_000,
        );
      },
      take: () => {
        const out = problems;
        problems = [];
        return out;
      },
      async leave(to: string) {
        await this.follow(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: to }));
      },
      /** Clicks a link inside the app; what the page being left still had open may be cancelled. */
      async follow(link: ReturnType<Page['getByRole']>) {
        leaving = true;
        await link.click();
        await page.waitForTimeout(150);
        leaving = false;
      },
    };
  }

  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}x${viewport.height}`;

    it(`every page at ${size}: no console error, no failed request, no table wider than its card`, async () => {
      const t = h.t;
      // Each size starts from the same state: no open alarm, so the forced door raises a new one.
      for (const a of (await t.http().get('/alarms?state=open').set(bearer(t.adminToken)).expect(200)).body as Array<{ id: string }>) {
        await t.http().post(`/alarms/${a.id}/acknowledge`).set(bearer(t.adminToken)).send({}).expect(200);
      }
      const context = await h.browser.newContext({ viewport, baseURL: h.baseUrl });
      const page = await context.newPage();
      const w = watch(page);
      const problems: Record<string, string[]> = {};
      const overflow: Record<string, string[]> = {};
      const wrong: string[] = [];
      try {
        await h.signIn(page, t.adminToken);
        const favicon = await page.evaluate(`document.querySelector('link[rel~="icon"]')?.href ?? null`);
        if (!favicon) wrong.push('no favicon link');
        else if ((await page.request.get(favicon as string)).status() !== 200) wrong.push(`favicon ${String(favicon)} is not served`);

        // ---- Live, while things happen at the site
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Live' }).click();
        await page.locator('.live-stream', { hasText: /Event stream:\s*Live$/ }).waitFor();
        const feed = page.getByRole('region', { name: 'Event feed' });
        await badgeAt(t, readers.lobby, demo.readers.lobby, 'alice-right-index');
        await badgeAt(t, readers.lobby, demo.readers.lobby, 'visitor-unknown-finger');
        await badgeAt(t, readers.dock, demo.readers.dock, 'visitor-unknown-finger');
        const main = controllers[0];
        main.openDoor(2);
        await page
          .getByRole('region', { name: /Open alarms/ })
          .getByRole('row')
          .filter({ hasText: 'Door forced open' })
          .waitFor();
        main.closeDoor(2);
        await feed.getByRole('row').filter({ hasText: 'Door closed' }).filter({ hasText: 'Loading dock door' }).waitFor();
        for (let i = 0; i < 4; i++) await badgeAt(t, readers.lobby, demo.readers.lobby, 'alice-right-index');
        await w.settle(1);

        // The door's Alarm column agrees with the open alarms: closed again, the alarm is still open.
        const alarmDoors = await page
          .getByRole('region', { name: /Open alarms/ })
          .locator('tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
        for (const name of ['Lobby door', 'Loading dock door', 'Suite 2.14 door', 'Cage C3 door', 'Suite 2.20 door']) {
          const cell = text(
            await page
              .getByRole('region', { name: 'Doors' })
              .getByRole('row', { name: new RegExp(`^${name}\\b`) })
              .getByRole('cell')
              .nth(3)
              .textContent(),
          );
          const open = alarmDoors.some((r) => r.includes(name));
          if (open === (cell === 'None')) wrong.push(`Live: door ${name} Alarm column says "${cell}" while ${open ? 'an alarm is open' : 'no alarm is open'}`);
        }
        // One forced door, one row in the feed.
        const forcedRows = await feed.getByRole('row').filter({ hasText: 'Door forced open' }).count();
        if (forcedRows !== 1) wrong.push(`Live: the forced door shows ${forcedRows} times in the feed`);
        // The feed's last row can be read: scrolled to the end it is inside its box, and the box inside the window.
        const lastRow = (await page.evaluate(`(() => {
          const wrap = document.querySelector('.live-feed-wrap');
          wrap.scrollTop = wrap.scrollHeight;
          const rows = wrap.querySelectorAll('tbody tr');
          const last = rows[rows.length - 1].getBoundingClientRect();
          const box = wrap.getBoundingClientRect();
          return { last: last.bottom, box: box.bottom, window: window.innerHeight, rows: rows.length };
        })()`)) as { last: number; box: number; window: number; rows: number };
        if (lastRow.last > lastRow.box + 1 || lastRow.box > lastRow.window)
          wrong.push(`Live: the last of ${lastRow.rows} feed rows is cut off (${JSON.stringify(lastRow)})`);
        // Every reader is on screen without scrolling the Readers box.
        const readerRows = (await page.evaluate(`(() => {
          const box = document.querySelector('.live-scroll-readers');
          const b = box.getBoundingClientRect();
          const rows = [...box.querySelectorAll('tbody tr')];
          return { rows: rows.length, hidden: rows.filter((r) => r.getBoundingClientRect().bottom > Math.min(b.bottom, window.innerHeight) + 1).length };
        })()`)) as { rows: number; hidden: number };
        const alarmRows = (await page.evaluate(`(() => {
          const box = document.querySelector('.live-alarms-wrap');
          const b = box.getBoundingClientRect();
          const rows = [...box.querySelectorAll('tbody tr')];
          return { rows: rows.length, hidden: rows.filter((r) => r.getBoundingClientRect().bottom > Math.min(b.bottom, window.innerHeight) + 1).length };
        })()`)) as { rows: number; hidden: number };
        if (alarmRows.rows !== 1 || alarmRows.hidden > 0) wrong.push(`Live: ${alarmRows.rows - alarmRows.hidden} of ${alarmRows.rows} open alarms visible`);
        if (readerRows.rows !== 6 || readerRows.hidden > 0) wrong.push(`Live: ${readerRows.rows - readerRows.hidden} of 6 readers visible`);
        // Lock down and Emergency release do opposite things: they must not look the same.
        const looks = (await page.evaluate(
          `(() => [...document.querySelectorAll('.live-site-actions button')].map((b) => { const s = getComputedStyle(b); return [b.textContent, s.backgroundColor, s.borderStyle, s.color].join(' | '); }))()`,
        )) as string[];
        const [lock, release] = looks.map((l) => l.split(' | ').slice(1).join(' | '));
        if (looks.length !== 2 || lock === release) wrong.push(`Live: "Lock down" and "Emergency release" look alike: ${JSON.stringify(looks)}`);
        // The confirmation is still asked for.
        await page.getByRole('button', { name: /^Emergency release of site / }).click();
        await page.getByRole('dialog', { name: /^Start emergency release of site / }).waitFor();
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        overflow.live = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        // The longest states ("Emergency release" on every door) must fit as well.
        await page.getByRole('button', { name: /^Emergency release of site / }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Release doors' }).click();
        const released = page.locator('.live-doors td .status', { hasText: /^Emergency release$/ });
        await until('every door released', async () => (await released.count()) === 5 || undefined);
        overflow.live.push(...((await page.evaluate(OVERFLOWING_CARDS)) as string[]).map((o) => `in emergency release: ${o}`));
        await screenshot(page, `demo-live-release-${size}`);
        await page.getByRole('button', { name: /^End emergency release of site / }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'End release' }).click();
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        await until('doors back to normal', async () => (await released.count()) === 0 || undefined);
        await w.settle(1);
        await screenshot(page, `demo-live-${size}`);
        problems.live = w.take();

        // ---- People
        await w.leave('People');
        await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
        await w.settle();
        overflow.people = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-people-${size}`);
        problems.people = w.take();

        // ---- A customer's people, and a person
        await w.follow(page.getByRole('link', { name: 'Acme Hosting B.V.' }));
        await page.getByRole('link', { name: 'Alice Demo (Acme engineer)' }).waitFor();
        await w.settle();
        overflow.customer = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-customer-${size}`);
        problems.customer = w.take();
        await w.follow(page.getByRole('link', { name: 'Alice Demo (Acme engineer)' }));
        await page.getByRole('heading', { name: 'Alice Demo (Acme engineer)', level: 1 }).waitFor();
        await w.settle();
        overflow.person = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-person-${size}`);
        problems.person = w.take();

        // ---- Enrolment
        await w.leave('Enrolment');
        await page.locator('main h1').waitFor();
        await w.settle();
        overflow.enrol = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-enrol-${size}`);
        problems.enrol = w.take();

        // ---- History: the same reason sentences as Live, 24-hour times on the site's named clock
        await w.leave('History');
        await page.getByLabel('Customer').selectOption(demo.customers.acme);
        const historyRows = page.getByRole('table', { name: 'Access events' }).locator('tbody tr');
        await historyRows.first().waitFor();
        await w.settle();
        const sentences = new Set(reasons.map((r) => r.description));
        const cells = await historyRows.evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())),
        );
        const header = await page.getByRole('table', { name: 'Access events' }).locator('thead th').allTextContents();
        const reasonAt = header.indexOf('Reason');
        for (const row of cells) {
          if (!sentences.has(row[reasonAt])) wrong.push(`History: reason "${row[reasonAt]}" is not one of the sentences of GET /badge-in/reasons`);
          if (!/\b([01]\d|2[0-3]):[0-5]\d:[0-5]\d\b/.test(row[0]) || /\b[AP]M\b/.test(row[0]))
            wrong.push(`History: time "${row[0]}" is not on a 24-hour clock`);
        }
        if (!(await page.locator('main').textContent())?.includes('Europe/Amsterdam'))
          wrong.push('History: the site time zone (Europe/Amsterdam) is not shown');
        overflow.history = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-history-${size}`);
        problems.history = w.take();

        // ---- Compliance: the schedule as configured
        await w.leave('Compliance');
        await page.getByRole('heading', { name: 'Purges due' }).waitFor();
        await w.settle();
        const dueText = text(await page.getByRole('region', { name: 'Purges due' }).locator('p').first().textContent());
        const due = (await t.http().get('/compliance/purges/due').set(bearer(t.adminToken)).expect(200)).body as { schedule?: { checkIntervalS: number } };
        if (due.schedule?.checkIntervalS !== CHECK_INTERVAL_S)
          wrong.push(`API: GET /compliance/purges/due gives the schedule as ${JSON.stringify(due.schedule)}`);
        if (!dueText.includes('every 15 minutes')) wrong.push(`Compliance: "${dueText}" does not follow PURGE_CHECK_INTERVAL_S=${CHECK_INTERVAL_S}`);
        overflow.compliance = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-compliance-${size}`);
        problems.compliance = w.take();

        // ---- Audit: readable actors, targets and details; the filter button on one line
        await w.leave('Audit');
        const auditRows = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr');
        await auditRows.first().waitFor();
        await w.settle();
        const audit = await auditRows.evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())),
        );
        for (const row of audit) {
          if (row[2].includes('…') || row[4].includes('…')) wrong.push(`Audit: entry ${row[0]} shows a cut id ("${row[2]}" / "${row[4]}")`);
        }
        if (!audit.some((r) => r[4].includes('Acme Hosting B.V.'))) wrong.push('Audit: no target is shown by its name (customer Acme Hosting B.V.)');
        const withDetails = audit.find((r) => r[3] === 'enrollment.complete');
        if (withDetails) {
          await page.getByRole('button', { name: `Show details of entry ${withDetails[0]}` }).click();
          const details = text(await page.locator('.audit-details').first().textContent());
          if (details.includes('{') || details.includes('"')) wrong.push(`Audit: details shown as raw JSON: ${details.slice(0, 120)}`);
          if (!details.includes('Enrolment desk')) wrong.push(`Audit: the reader in the details is not named: ${details.slice(0, 160)}`);
        } else wrong.push('Audit: no enrolment entry to open');
        const applyLines = (await page.evaluate(`(() => {
          const b = [...document.querySelectorAll('button')].find((x) => x.textContent.trim() === 'Apply filters');
          const r = document.createRange();
          r.selectNodeContents(b);
          return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
        })()`)) as number;
        if (applyLines !== 1) wrong.push(`Audit: "Apply filters" wraps onto ${applyLines} lines`);
        overflow.audit = (await page.evaluate(OVERFLOWING_CARDS)) as string[];
        await screenshot(page, `demo-audit-${size}`);
        problems.audit = w.take();
      } finally {
        await context.close();
      }
      expect({ problems, overflow, wrong }).toEqual({
        problems: { live: [], people: [], customer: [], person: [], enrol: [], history: [], compliance: [], audit: [] },
        overflow: { live: [], people: [], customer: [], person: [], enrol: [], history: [], compliance: [], audit: [] },
        wrong: [],
      });
    });
  }
});
