import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { CardFleet } from '@acs/card-fleet';
import { CredentialService, type CardRead } from '@acs/credentials';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { axeViolations } from './axe.js';
import { screenshot, startConsoleHarness, unlabelledControls, type ConsoleHarness } from './console-support.js';

jest.setTimeout(60_000);

/** A 26-bit Wiegand read (H10301), its card number set by `seed` (the last byte holds only parity bits); the desk sees at most its last two digits. */
const wiegand = (seed: number): CardRead => ({ format: 'wiegand', bitCount: 26, data: Buffer.from([1, 2, seed, 0x40]) });

describe('web console: cards, card readers and credential policies', () => {
  let h: ConsoleHarness;
  let site: SiteFixture;
  let customerId: string;
  let personId: string;
  let deskId: string;
  let suiteDoor: string;

  beforeAll(async () => {
    h = await startConsoleHarness();
    site = await buildSite(h.t);
    customerId = (await createCustomer(h.t)).id;
    personId = (await createPerson(h.t, customerId, { fullName: 'Carla Kaart' })).id;
    // A closed TCP port: the fleet opens the bus and keeps reconnecting, the tests stand in for the readers.
    const bus = await post<{ id: string }>(h.t, '/osdp-buses', { siteId: site.siteId, name: 'Suite line', transport: 'tcp://127.0.0.1:9' });
    deskId = (await post<{ id: string }>(h.t, '/card-readers', { busId: bus.id, name: 'Desk card reader', address: 1, role: 'enrolment' })).id;
    const door = await post<{ id: string }>(h.t, '/card-readers', { busId: bus.id, name: 'Suite card reader', address: 2, role: 'door' });
    await h.t.http().patch(`/doors/${site.suiteDoorId}`).set(bearer(h.t.adminToken)).send({ entryCardReaderId: door.id }).expect(200);
    suiteDoor = ((await h.t.http().get(`/doors/${site.suiteDoorId}`).set(bearer(h.t.adminToken)).expect(200)).body as { name: string }).name;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const zoneName = async (id: string) => ((await h.t.http().get(`/zones/${id}`).set(bearer(h.t.adminToken)).expect(200)).body as { name: string }).name;

  it('sets the credential policy of a zone and of a door, explaining each', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Zones' }).click();
    const suite = await zoneName(site.suiteZoneId);
    const zoneSelect = page.getByLabel(`Credential policy of zone ${suite}`, { exact: true });
    await expect(zoneSelect.inputValue()).resolves.toBe('fingerprint');
    await zoneSelect.selectOption('card+pin');
    // The explanation follows the choice before it is saved.
    await expect(page.locator(`[id="${await zoneSelect.getAttribute('aria-describedby')}"]`).textContent()).resolves.toContain('keypad');
    await page.getByRole('button', { name: `Save policy of zone ${suite}` }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).first().waitFor();
    const zone = await h.t.http().get(`/zones/${site.suiteZoneId}`).set(bearer(h.t.adminToken)).expect(200);
    expect(zone.body.credentialPolicy).toBe('card+pin');

    const doorSelect = page.getByLabel(`Credential policy of door ${suiteDoor}`, { exact: true });
    await expect(doorSelect.inputValue()).resolves.toBe('');
    await expect(doorSelect.locator('option').first().textContent()).resolves.toBe("Zone's policy (Card and PIN)");
    await doorSelect.selectOption('fingerprint|card');
    await page.getByRole('button', { name: `Save policy of door ${suiteDoor}` }).click();
    for (let i = 0; ; i++) {
      const door = await h.t.http().get(`/doors/${site.suiteDoorId}`).set(bearer(h.t.adminToken)).expect(200);
      if (door.body.credentialPolicy === 'fingerprint|card') break;
      if (i > 100) throw new Error(`the door's policy stayed ${door.body.credentialPolicy}`);
      await sleep(50);
    }
    // Back to the zone's policy: null in the API.
    await doorSelect.selectOption('');
    await page.getByRole('button', { name: `Save policy of door ${suiteDoor}` }).click();
    for (let i = 0; ; i++) {
      const door = await h.t.http().get(`/doors/${site.suiteDoorId}`).set(bearer(h.t.adminToken)).expect(200);
      if (door.body.credentialPolicy === null) break;
      if (i > 100) throw new Error(`the door's policy stayed ${door.body.credentialPolicy}`);
      await sleep(50);
    }
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '60-zones-policy');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('shows an auditor the policies without editing them', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('auditor'));
    await expect(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Zones' }).count()).resolves.toBe(0);
  });

  it('lists the card readers with their bus state, Secure Channel, tamper and door on the live monitor', async () => {
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    await page.goto('/console/live');
    const panel = page.getByRole('region', { name: 'Card readers (OSDP)' });
    // The panel can draw its rows before the Live page has the doors (then "Unknown door"): wait
    // for the row with its door's name (a CI run read it in between and failed).
    const doorRow = panel.getByRole('row', { name: /^Suite card reader/ }).filter({ hasText: suiteDoor });
    await doorRow.waitFor();
    const states = (await h.t.http().get('/monitor/card-readers').set(bearer(h.t.adminToken)).expect(200)).body as Array<{ name: string; state: string }>;
    const state = states.find((s) => s.name === 'Suite card reader')!.state;
    const words: Record<string, string> = {
      online: 'Online',
      offline: 'Offline',
      untrusted: 'Untrusted',
      other_instance: 'On another server',
      disabled: 'Not driven here',
    };
    const text = await doorRow.textContent();
    expect(text).toContain(suiteDoor);
    expect(text).toContain(words[state]);
    expect(text).toContain('Address 2');
    expect(text).toMatch(/None/); // tamper
    await expect(panel.getByRole('row', { name: /^Desk card reader/ }).textContent()).resolves.toContain('Security desk');
    await screenshot(page, '61-live-card-readers');
    expect(await axeViolations(page)).toEqual([]);
  });

  const cardRow = (page: Page, hint: string) => page.getByRole('region', { name: 'Cards' }).getByRole('row', { name: new RegExp(`^…${hint}\\b`) });

  it('lists masked cards and suspends, reinstates and revokes one', async () => {
    const credentials = h.t.app.get(CredentialService);
    const card = await credentials.issueCard({ customerId, personId, read: wiegand(0x40) });
    const { page } = await h.newPage();
    await h.signIn(page, await h.t.tokenFor('security'));
    await page.goto(`/console/people/${customerId}/${personId}`);
    const row = cardRow(page, card.hint);
    await row.getByText('active', { exact: true }).waitFor();
    await expect(row.textContent()).resolves.toContain('Not set');

    await page.getByRole('button', { name: `Suspend card …${card.hint}` }).click();
    await row.getByText('suspended', { exact: true }).waitFor();
    expect((await credentials.getCard(card.id)).state).toBe('suspended');
    await page.getByRole('button', { name: `Reinstate card …${card.hint}` }).click();
    await row.getByText('active', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Revoke card …${card.hint}` }).click();
    await page.getByRole('button', { name: 'Confirm revoke' }).click();
    await row.getByText('revoked', { exact: true }).waitFor();
    expect((await credentials.getCard(card.id)).state).toBe('revoked');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  });

  /** Waits until the server listens at the desk reader for a card or a PIN, as the desk request holds. */
  const whenWaiting = async (kind: 'card' | 'pin', before: number) => {
    const fleet = h.t.app.get(CardFleet);
    for (let i = 0; fleet.listenerCount(kind) <= before; i++) {
      if (i > 500) throw new Error(`nobody started waiting for a ${kind} at the desk`);
      await sleep(10);
    }
    return fleet;
  };

  it('after a consent withdrawal, issues a card presented at the desk reader and sets its PIN on the keypad', async () => {
    const other = (await createPerson(h.t, customerId, { fullName: 'Dirk Zonder' })).id;
    const { page } = await h.newPage();
    await h.signIn(page, h.t.adminToken);
    await page.goto(`/console/people/${customerId}/${other}`);
    await page.getByRole('button', { name: 'Withdraw biometric consent' }).click();
    await page.getByRole('button', { name: 'Confirm withdrawal' }).click();
    await page.getByRole('button', { name: 'Issue a card instead' }).click();
    const deskSelect = page.getByLabel('Desk card reader');
    // The only desk reader is chosen already; the focus is on the issue form.
    await expect(deskSelect.inputValue()).resolves.toBe(deskId);
    await expect(page.evaluate('document.activeElement && document.activeElement.tagName')).resolves.toBe('SELECT');

    const fleet = h.t.app.get(CardFleet);
    const cardsBefore = fleet.listenerCount('card');
    await page.getByRole('button', { name: 'Issue a card', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'present the new card' }).waitFor();
    await whenWaiting('card', cardsBefore);
    fleet.emit('card', { readerId: deskId, read: wiegand(0x41), at: h.t.clock.nowMs() });
    // The wait ends one way or the other; then the panel says which (a problem's code included).
    await page.getByText(/^Waiting at /).waitFor({ state: 'detached' });
    await expect(page.getByRole('region', { name: 'Cards' }).textContent()).resolves.toMatch(/Card …\d\d issued/);
    const [card] = await h.t.app.get(CredentialService).listPersonCards(other);
    expect(card).toMatchObject({ state: 'active', pinSet: false });

    const pinsBefore = fleet.listenerCount('pin');
    await page.getByRole('button', { name: `Set PIN of card …${card!.hint}` }).click();
    await page.getByRole('status').filter({ hasText: 'type the PIN for card' }).waitFor();
    await screenshot(page, '62-person-card-pin-waiting');
    await whenWaiting('pin', pinsBefore);
    fleet.emit('pin', { readerId: deskId, pin: '4711', cancelled: false, at: h.t.clock.nowMs() });
    await cardRow(page, card!.hint).getByText('Set', { exact: true }).waitFor();
    expect((await h.t.app.get(CredentialService).getCard(card!.id)).pinSet).toBe(true);
  });
});
