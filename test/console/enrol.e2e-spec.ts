import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { VirtualReader } from '../../hardware/virtual-reader/src/index.js';
import type { ReaderLibraryService } from '@acs/reader-fleet';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import { buildVirtualSite, flashTemplates, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { librarySettled } from '../support/library-settled.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Real serial timing over TCP to virtual readers plus a browser: give slow CI machines room.
jest.setTimeout(90_000);

describe('web console: enrolment wizard (virtual readers over TCP)', () => {
  let h: ConsoleHarness;
  let library: ReaderLibraryService;
  let desk: VirtualDevice;
  let suiteEntry: VirtualDevice;
  let suiteExit: VirtualDevice;
  let cageEntry: VirtualDevice;
  let site: Site;
  let customerLabel: string;
  let deskName: string;
  let sanne: string;
  let daan: string;

  beforeAll(async () => {
    h = await startConsoleHarness({ env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '15' } });
    const tuned = tuneForTests(h.t);
    library = tuned.library;
    [desk, suiteEntry, suiteExit, cageEntry] = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(h.t.dir)));
    site = await buildVirtualSite(h.t, { desk: desk.url, suiteEntry: suiteEntry.url, suiteExit: suiteExit.url, cageEntry: cageEntry.url });
    sanne = (await post<{ id: string }>(h.t, `/customers/${site.customerId}/people`, { fullName: 'Sanne Bakker' })).id;
    daan = (await post<{ id: string }>(h.t, `/customers/${site.customerId}/people`, { fullName: 'Daan Mulder' })).id;
    await post(h.t, '/grants', { accessLevelId: site.suiteLevelId, customerId: site.customerId, personId: sanne });
    const customer = (await h.t.http().get(`/customers/${site.customerId}`).set(bearer(h.t.adminToken)).expect(200)).body as {
      companyName: string;
      contractRef: string;
    };
    customerLabel = `${customer.companyName} (${customer.contractRef})`;
    deskName = ((await h.t.http().get(`/readers/${site.deskId}`).set(bearer(h.t.adminToken)).expect(200)).body as { name: string }).name;
    await Promise.all([site.deskId, site.suiteEntryId, site.suiteExitId, site.cageEntryId].map((id) => tuned.manager.whenReady(id)));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await Promise.all([desk, suiteEntry, suiteExit, cageEntry].filter(Boolean).map((d) => d.close()));
  });

  /** Steps 1–3 of the wizard as the clerk does them; screenshots each step when `shots` is given. */
  const chooseAndStart = async (page: Page, person: string, finger: string, shots?: { person: string; finger: string; reader: string }) => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Enrolment' }).click();
    await page.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
    await page.getByLabel('Customer').selectOption({ label: customerLabel });
    await page.getByLabel('Person', { exact: true }).selectOption({ label: person });
    expect(await unlabelledControls(page)).toEqual([]);
    if (shots) await screenshot(page, shots.person);
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: new RegExp(`Step 2 of 3: which finger of ${person}`) }).waitFor();
    await page.getByRole('radio', { name: finger, exact: true }).check();
    await page.getByText(`Chosen: ${finger}.`).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    if (shots) await screenshot(page, shots.finger);
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
    const option = page.locator('label.reader-option', { hasText: deskName });
    await option.getByText('Online').waitFor();
    await page.getByRole('radio', { name: new RegExp(deskName) }).check();
    expect(await unlabelledControls(page)).toEqual([]);
    if (shots) await screenshot(page, shots.reader);
    const started = page.waitForResponse((r) => r.url().endsWith('/enrolments') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Start enrolment' }).click();
    const res = await started;
    expect(res.status()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  /**
   * The person at the desk: reads the prompt the PAGE shows and acts on the virtual desk reader,
   * until the page shows a result. Screenshots the first appearance of each prompt.
   */
  const actOnPagePrompts = async (page: Page, reader: VirtualReader, finger: string, shots: Record<string, string>, opts: { poorFirst?: boolean } = {}) => {
    const prompt = page.locator('.desk-prompt');
    const seen: string[] = [];
    let poor = opts.poorFirst === true;
    if (poor) reader.setMode('poor');
    const deadline = Date.now() + 45_000;
    try {
      for (;;) {
        const text = ((await prompt.textContent()) ?? '').trim();
        if (seen[seen.length - 1] !== text) {
          seen.push(text);
          const shot = Object.entries(shots).find(([start]) => text.startsWith(start));
          if (shot && !seen.slice(0, -1).some((s) => s.startsWith(shot[0]))) await screenshot(page, shot[1]);
        }
        if ((await page.getByRole('heading', { name: /^(Enrolled|Failed|Refused|Cancelled)$/ }).count()) > 0) return seen;
        const placed = reader.status().finger !== null;
        if (text.startsWith('Lift your finger') && placed) reader.lift();
        else if ((text.startsWith('Place your finger') || text.startsWith('Place the same finger again')) && !placed) reader.place(finger);
        else if (text.startsWith('Try again')) {
          if (placed) {
            reader.lift();
            if (poor) {
              poor = false;
              reader.setMode('normal');
            }
          } else reader.place(finger);
        }
        if (Date.now() > deadline) throw new Error(`no result on the page; prompts seen: ${seen.join(' | ')}`);
        await sleep(20);
      }
    } finally {
      reader.lift();
      reader.setMode('normal');
    }
  };

  it('walks a clerk through person, finger and desk reader, then guides the person at the desk to an enrolled finger on the door readers', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await chooseAndStart(page, 'Sanne Bakker', 'Right index finger', {
      person: '30-enrol-step1-person',
      finger: '31-enrol-step2-finger',
      reader: '32-enrol-step3-reader',
    });
    await expect(page.locator('.desk-prompt').getAttribute('aria-live')).resolves.toBe('assertive');

    const seen = await actOnPagePrompts(
      page,
      desk.device,
      'sanne-right-index',
      {
        'Place your finger': '33-enrol-prompt-place',
        'Try again': '34-enrol-prompt-try-again',
        'Lift your finger': '35-enrol-prompt-lift',
        'Place the same finger again': '36-enrol-prompt-place-again',
      },
      { poorFirst: true },
    );
    expect(seen).toEqual(expect.arrayContaining(['Place your finger on the reader', 'Lift your finger', 'Place the same finger again']));
    expect(seen.some((s) => s.startsWith('Try again'))).toBe(true);
    await page.getByRole('heading', { name: 'Enrolled' }).waitFor();
    await expect(page.locator('.desk-prompt').textContent()).resolves.toBe('Done — thank you');
    await expect(page.getByRole('progressbar').getAttribute('value')).resolves.toBe('100');

    // Server state: the finger is stored, and the template reached the readers of Sanne's grant only.
    const fingers = await h.t.http().get(`/people/${sanne}/fingerprints`).set(bearer(h.t.adminToken)).expect(200);
    expect(fingers.body).toEqual([expect.objectContaining({ finger: 1 })]);
    await librarySettled(library);
    expect(flashTemplates(suiteEntry).size).toBe(1);
    expect(flashTemplates(suiteExit).size).toBe(1);
    expect(flashTemplates(cageEntry).size).toBe(0);
    expect(desk.device.library()).toEqual([]);
    // …and the page's distribution table catches up with it.
    const entryName = ((await h.t.http().get(`/readers/${site.suiteEntryId}`).set(bearer(h.t.adminToken)).expect(200)).body as { name: string }).name;
    await page.getByRole('row').filter({ hasText: entryName }).filter({ hasText: '1 / 1' }).filter({ hasText: 'up to date' }).waitFor({ timeout: 20_000 });
    await screenshot(page, '37-enrol-success');

    // Back in step 2 the finger is marked as enrolled.
    await page.getByRole('button', { name: 'Enrol another finger' }).click();
    await page.getByRole('radio', { name: 'Right index finger, already enrolled' }).waitFor();
  });

  it('explains a refusal in words without naming the other person, and "Try again" starts over', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    await chooseAndStart(page, 'Daan Mulder', 'Right middle finger');
    // Daan puts down Sanne's finger: the duplicate check refuses it.
    await actOnPagePrompts(page, desk.device, 'sanne-right-index', {});
    const result = page.getByRole('region', { name: 'Refused' });
    await expect(result.textContent()).resolves.toContain('already enrolled for another person');
    await expect(page.locator('.desk-prompt').textContent()).resolves.toBe('Enrolment did not succeed');
    await expect(page.locator('main').textContent()).resolves.not.toMatch(/Sanne/);
    // Focus moves to the result so the keyboard reaches "Try again" next.
    await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toBe('Refused');
    await screenshot(page, '39-enrol-refused');

    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.desk-prompt', { hasText: 'Place your finger on the reader' }).waitFor();
    await actOnPagePrompts(page, desk.device, 'daan-right-middle', {});
    await page.getByRole('heading', { name: 'Enrolled' }).waitFor();
    const fingers = await h.t.http().get(`/people/${daan}/fingerprints`).set(bearer(h.t.adminToken)).expect(200);
    expect(fingers.body).toEqual([expect.objectContaining({ finger: 2 })]);
  });

  it("starts from a person's record with the person preselected by id, never by name", async () => {
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    await page.goto(`/console/people/${site.customerId}/${sanne}`);
    await page.getByRole('region', { name: 'Enrolled fingers' }).getByText('Right index finger').waitFor();
    await page.getByRole('link', { name: 'Enrol a finger' }).click();
    await page.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
    // The people list loads after the heading: wait for the preselection to show before reading it.
    await page.getByText('Already enrolled: Right index finger.').waitFor();
    await expect(page.getByLabel('Person', { exact: true }).inputValue()).resolves.toBe(sanne);
    expect(page.url()).not.toMatch(/sanne|bakker/i);
    expect(page.url()).toContain(`personId=${sanne}`);
  });

  it('cancels a running enrolment from the page and shows it as cancelled', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    const id = await chooseAndStart(page, 'Daan Mulder', 'Left thumb');
    await page.locator('.desk-prompt', { hasText: 'Place your finger on the reader' }).waitFor();
    await page.getByRole('button', { name: 'Cancel enrolment' }).click();
    await page.getByRole('heading', { name: 'Cancelled' }).waitFor();
    await expect(page.locator('.desk-prompt').textContent()).resolves.toBe('Enrolment cancelled');
    await expect(page.getByRole('region', { name: 'Cancelled' }).textContent()).resolves.toContain('cancelled at the desk');
    await screenshot(page, '38-enrol-cancelled');
    const view = await h.t.http().get(`/enrolments/${id}`).set(bearer(h.t.adminToken)).expect(200);
    expect(view.body).toMatchObject({ status: 'cancelled', reason: 'cancelled' });
    expect(view.body.personId).toBe(daan);
    const fingers = (await h.t.http().get(`/people/${daan}/fingerprints`).set(bearer(h.t.adminToken)).expect(200)).body as Array<{ finger: number }>;
    expect(fingers.map((f) => f.finger)).not.toContain(5);
    // The desk reader is free again: "Try again" starts a new enrolment there.
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.desk-prompt', { hasText: 'Place your finger on the reader' }).waitFor();
    await page.getByRole('button', { name: 'Cancel enrolment' }).click();
    await page.getByRole('heading', { name: 'Cancelled' }).waitFor();
  });
});
