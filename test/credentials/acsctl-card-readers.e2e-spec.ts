import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryChanges, type RegistryChange } from '@acs/registry';
import { cardReaderInstallMode, cardReaderList, osdpBusList } from '../../apps/cli/src/card-reader-commands.js';
import { CliError } from '../../apps/cli/src/out.js';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** acsctl's OSDP commands against the database of a running server (as an installer runs them next to it). */
describe('acsctl osdp-bus:list, card-reader:list, card-reader:install-mode', () => {
  let t: TestApp;
  let busId: string;
  let deskId: string;
  let doorId: string;
  const lines: unknown[] = [];
  const out = { line: (l: string) => lines.push(l), json: (v: unknown) => lines.push(v) };

  beforeAll(async () => {
    // The server opens no line here: only the registry rows and the change notice matter.
    t = await startTestApp({ env: { READERS_ENABLED: 'false', CLI_CHANGE_POLL_MS: '200' } });
    const site = await post<{ id: string }>(t, '/sites', { name: 'CLI-OSDP', timeZone: 'Europe/Amsterdam' });
    busId = (await post<{ id: string }>(t, '/osdp-buses', { siteId: site.id, name: 'Line A', transport: '/dev/ttyOSDP0', baudRate: 115200 })).id;
    deskId = (await post<{ id: string }>(t, '/card-readers', { busId, name: 'Desk', address: 1, role: 'enrolment', installMode: false })).id;
    doorId = (await post<{ id: string }>(t, '/card-readers', { busId, name: 'Suite door', address: 2, role: 'door', secureMode: 'off' })).id;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists the buses with their instance and reader count', async () => {
    lines.length = 0;
    await osdpBusList(t.config, out, {});
    expect(lines[0]).toMatch(new RegExp(`^${busId}  Line A  /dev/ttyOSDP0 @ 115200 baud  instance default  2 card reader\\(s\\)$`));
    const rows = await osdpBusList(t.config, out, { json: true });
    expect(rows).toEqual([expect.objectContaining({ id: busId, host: 'default', readers: 2 })]);
  });

  it('lists the card readers with role, address, secure mode, install mode and key', async () => {
    lines.length = 0;
    await cardReaderList(t.config, out, { bus: busId });
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${deskId}  Desk  bus ${busId} address 1  enrolment  secure required  install mode off  no own key`,
        `${doorId}  Suite door  bus ${busId} address 2  door  secure off  install mode on  no own key`,
      ]),
    );
    const json = await cardReaderList(t.config, out, { json: true });
    expect(json.find((r) => r.id === deskId)).toMatchObject({ role: 'enrolment', address: 1, secureMode: 'required', installMode: false, keySet: false });
    await expect(cardReaderList(t.config, out, { site: 'not-a-uuid' })).rejects.toBeInstanceOf(CliError);
  });

  it('sets install mode, audits it as acsctl, and the running server hears of it', async () => {
    const changes: RegistryChange[] = [];
    const stop = t.app.get(RegistryChanges).subscribe((c) => changes.push(c));
    try {
      lines.length = 0;
      const r = await cardReaderInstallMode(t.config, out, deskId, {});
      expect(r.installMode).toBe(true);
      expect(lines[0]).toContain('Install mode on for Desk');
      const view = await t.http().get(`/card-readers/${deskId}`).set(bearer(t.adminToken)).expect(200);
      expect(view.body.installMode).toBe(true);
      // The server follows the trail's acsctl entries (CLI_CHANGE_POLL_MS) and tells the card fleet.
      for (let i = 0; i < 100 && !changes.some((c) => c.kind === 'card_reader' && c.remote); i++) await sleep(50);
      expect(changes).toContainEqual(expect.objectContaining({ kind: 'card_reader', remote: true }));
      const audit = await t.http().get('/audit').query({ action: 'card_reader.install_mode' }).set(bearer(t.adminToken)).expect(200);
      expect(JSON.stringify(audit.body)).toContain(deskId);
    } finally {
      stop();
    }
    expect((await cardReaderInstallMode(t.config, out, deskId, { off: true })).installMode).toBe(false);
    await expect(cardReaderInstallMode(t.config, out, '00000000-0000-4000-8000-000000000000', {})).rejects.toThrow('no card reader');
  });
});
