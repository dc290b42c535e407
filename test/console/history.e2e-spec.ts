import { readFileSync } from 'node:fs';
import { openRawStore } from '../support/raw-store.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AccessEvent, EXPORT_COLUMNS } from '@acs/access-log';
import { bearer } from '../support/registry-fixture.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { attempt, type HistoryFixture, historyFixture, newestFirst, parseCsv } from '../access-log/support.js';

describe('web console: access history', () => {
  let h: ConsoleHarness;
  let f: HistoryFixture;
  let stored: AccessEvent[];
  const ofA = () => stored.filter((e) => e.customerId === f.a.id);
  const deniedOfA = () => ofA().filter((e) => e.result === 'denied');

  beforeAll(async () => {
    h = await startConsoleHarness();
    f = await historyFixture(h.t);
    const now = h.t.clock.nowMs();
    // 40 attempts of customer A over the last two days (every 5th denied), one of customer B that must never show.
    const inputs = Array.from({ length: 40 }, (_, i) =>
      attempt(f, 'a', new Date(now - (40 - i) * 3_600_000).toISOString(), {
        personId: f.a.people[i % 2],
        result: i % 5 === 0 ? 'denied' : 'granted',
        reason: i % 5 === 0 ? 'no_grant_for_door' : 'granted',
      }),
    );
    inputs.push(attempt(f, 'b', new Date(now - 1_800_000).toISOString()));
    stored = await f.log.appendDurable(inputs);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const rows = (page: import('playwright-core').Page) => page.getByRole('table', { name: 'Access events' }).locator('tbody tr');

  it('pages with "Load more", filters by result, verifies the chain and exports the filtered CSV with progress', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('Customer').selectOption(f.a.id);
    // Only the id travels in the URL.
    expect(new URL(page.url()).search).toBe(`?customer=${f.a.id}`);

    // First page: 25 newest of the 40, then the rest after "Load more".
    await expect(page.getByText('25 events shown, more available').waitFor()).resolves.toBeUndefined();
    await expect(rows(page).count()).resolves.toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('40 events shown').waitFor();
    await expect(rows(page).count()).resolves.toBe(40);
    await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
    await expect(page.getByTestId('total-granted').textContent()).resolves.toBe(String(ofA().length - deniedOfA().length));
    await expect(page.getByTestId('total-denied').textContent()).resolves.toBe(String(deniedOfA().length));

    await page.getByLabel('Result').selectOption('denied');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText(`${deniedOfA().length} events shown`).waitFor();
    const shown = await rows(page).allInnerTexts();
    expect(shown).toHaveLength(deniedOfA().length);
    // The same sentence as on the Live page, from the server's one table of reasons; never the raw code.
    const reasons = (await h.t.http().get('/badge-in/reasons').set(bearer(h.t.adminToken)).expect(200)).body as Array<{ code: string; description: string }>;
    const sentence = reasons.find((r) => r.code === 'no_grant_for_door')!.description;
    for (const r of shown) {
      expect(r).toContain(sentence);
      expect(r).not.toContain('no_grant_for_door');
    }
    // Times are on the site's wall clock (Europe/Amsterdam, UTC+1 in November), not the browser's,
    // on a 24-hour clock although the browser's locale (en-US) counts to 12, and the zone is named.
    const newestDenied = deniedOfA().sort((x, y) => y.occurredAt - x.occurredAt)[0];
    const amsterdam = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23', timeZone: 'Europe/Amsterdam' }).format(
      newestDenied.occurredAt,
    );
    expect(shown[0]).toContain(amsterdam);
    expect(shown[0]).not.toMatch(/\b[AP]M\b/);
    await page.getByText(/Times on the site's clock, 24-hour: Europe\/Amsterdam/).waitFor();
    await expect(page.getByTestId('total-granted').textContent()).resolves.toBe(String(ofA().length - deniedOfA().length));

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect(page.getByText('Chain intact').waitFor()).resolves.toBeUndefined();
    await expect(page.getByText('Chain broken').count()).resolves.toBe(0);

    expect(await unlabelledControls(page)).toEqual([]);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    expect(download.suggestedFilename()).toBe(`access-history-${f.a.id}.csv`);
    const file = readFileSync((await download.path())!, 'utf8');
    const [header, ...lines] = parseCsv(file);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    const records = lines.map((r) => Object.fromEntries(header.map((k, i) => [k, r[i]])));
    expect(records.map((r) => r.event_id)).toEqual(newestFirst(deniedOfA()));
    expect(records.every((r) => r.customer_id === f.a.id && r.result === 'denied')).toBe(true);
    // The progress line reports the bytes received and ends with the saved file's name and size.
    const done = page.getByRole('status').filter({ hasText: 'Export saved' });
    await done.waitFor();
    await expect(done.textContent()).resolves.toContain(`access-history-${f.a.id}.csv`);
    await expect(done.textContent()).resolves.toContain(`(${deniedOfA().length} rows, `);
    await expect(page.getByRole('progressbar', { name: 'Export progress' }).count()).resolves.toBe(1);
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, '40-history');
  }, 60_000);

  it('gives the security desk history without the chain verification the API keeps for assurance roles', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await page.goto(`/console/history?customer=${f.a.id}`);
    await page.getByText('25 events shown, more available').waitFor();
    await expect(page.getByRole('button', { name: 'Export' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Verify chain' }).count()).resolves.toBe(0);
    await expect(page.getByRole('heading', { name: 'Chain verification' }).count()).resolves.toBe(0);
  }, 60_000);

  it('shows a broken chain with the first broken link the API names', async () => {
    // Tampering the way test/access-log/tamper.e2e-spec.ts does: an edit straight in the database.
    const victim = stored.find((e) => e.customerId === f.b.id)!;
    const db = await openRawStore(h.t.dir);
    try {
      await expect(db.run("UPDATE access_event SET result = 'granted', reason = 'outside_schedule' WHERE id = ?", [victim.id])).resolves.toBe(1);
    } finally {
      await db.close();
    }
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('auditor'));
    await page.goto(`/console/history?customer=${f.b.id}`);
    await page.getByText('1 event shown').waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText('Chain broken').waitFor();
    const verdict = page.locator('.history-verdict');
    await expect(verdict.textContent()).resolves.toContain('hash-mismatch');
    await expect(verdict.textContent()).resolves.toContain(victim.id);
    await expect(page.getByText('Chain intact').count()).resolves.toBe(0);
    // The tampered row is marked in the table too.
    const reasons = (await h.t.http().get('/badge-in/reasons').set(bearer(h.t.adminToken)).expect(200)).body as Array<{ code: string; description: string }>;
    await expect(rows(page).filter({ hasText: 'first broken link' }).textContent()).resolves.toContain(
      reasons.find((r) => r.code === 'outside_schedule')!.description,
    );
    await screenshot(page, '40-history-broken');
  }, 60_000);
});
