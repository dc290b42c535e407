import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CardReaderService } from '@acs/registry';
import { bearer, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 17: OSDP buses and card readers in the registry, their keys kept out of every answer,
 * door wiring with card readers, and credential policies on zones and doors.
 */
describe('OSDP buses and card readers', () => {
  let t: TestApp;
  let siteId: string;
  let otherSiteId: string;
  let busId: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false' } });
    siteId = (await post<{ id: string }>(t, '/sites', { name: 'Card site', timeZone: 'Europe/Amsterdam' })).id;
    otherSiteId = (await post<{ id: string }>(t, '/sites', { name: 'Other card site', timeZone: 'Europe/Amsterdam' })).id;
    busId = (await post<{ id: string }>(t, '/osdp-buses', { siteId, name: 'Line 1', transport: '/dev/ttyUSB7', baudRate: 115200 })).id;
  });
  afterAll(() => t?.close());

  const send = (method: 'post' | 'patch', path: string, body: object) => t.http()[method](path).set(bearer(t.adminToken)).send(body);

  it('registers a bus with its defaults and refuses a transport already used on that host', async () => {
    const bus = await t.http().get(`/osdp-buses/${busId}`).set(bearer(t.adminToken)).expect(200);
    expect(bus.body).toEqual({ id: busId, siteId, name: 'Line 1', transport: '/dev/ttyUSB7', host: 'default', baudRate: 115200 });
    const again = await send('post', '/osdp-buses', { siteId, name: 'Line 1 again', transport: '/dev/ttyUSB7' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'osdp_bus.transport_taken' });
    await post(t, '/readers', { siteId, name: 'Finger on 8', model: 'R50x', transport: '/dev/ttyUSB8', role: 'door' });
    const onReader = await send('post', '/osdp-buses', { siteId, name: 'Line on a reader port', transport: '/dev/ttyUSB8' });
    expect(onReader.body).toMatchObject({ code: 'osdp_bus.transport_taken' });
    expect((await send('post', '/osdp-buses', { siteId, name: 'Odd speed', transport: '/dev/ttyUSB9', baudRate: 12345 })).status).toBe(400);
  });

  it('registers card readers in install mode with Secure Channel required, one per address, and never returns a key', async () => {
    const r = await post<Record<string, unknown>>(t, '/card-readers', { busId, name: 'Entry card', address: 1, role: 'door' });
    expect(r).toMatchObject({ busId, siteId, address: 1, role: 'door', secureMode: 'required', installMode: true, keySet: false, keySetAt: null });
    const dup = await send('post', '/card-readers', { busId, name: 'Same address', address: 1, role: 'door' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'card_reader.address_taken' });
    expect((await send('post', '/card-readers', { busId, name: 'Broadcast', address: 127, role: 'door' })).status).toBe(400);

    // The fleet stores the key the reader accepted; the API says only that there is one.
    const key = Buffer.alloc(16, 0xa5);
    await t.app.get(CardReaderService).storeReaderKey(r.id as string, key);
    const after = await t
      .http()
      .get(`/card-readers/${r.id as string}`)
      .set(bearer(t.adminToken))
      .expect(200);
    expect(after.body).toMatchObject({ installMode: false, keySet: true });
    expect(JSON.stringify(after.body)).not.toMatch(/a5a5a5a5|scbk_?ct/i);
    const list = await t.http().get(`/card-readers?busId=${busId}`).set(bearer(t.adminToken)).expect(200);
    expect(JSON.stringify(list.body)).not.toMatch(/a5a5a5a5/i);
    await expect(t.app.get(CardReaderService).readerKey(r.id as string)).resolves.toEqual(new Uint8Array(key));

    const again = await send('post', `/card-readers/${r.id as string}/install-mode`, {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ installMode: true, keySet: true });
  });

  it('wires card readers to a door with a policy, and checks site, role and reuse', async () => {
    const zone = await post<{ id: string; credentialPolicy: string }>(t, '/zones', { siteId, name: 'Cage 9', kind: 'cage', credentialPolicy: 'card+pin' });
    expect(zone.credentialPolicy).toBe('card+pin');
    const entry = await post<{ id: string }>(t, '/card-readers', { busId, name: 'Cage 9 in', address: 2, role: 'door' });
    const exit = await post<{ id: string }>(t, '/card-readers', { busId, name: 'Cage 9 out', address: 3, role: 'door' });
    const desk = await post<{ id: string }>(t, '/card-readers', { busId, name: 'Desk', address: 4, role: 'enrolment' });
    const door = await post<Record<string, unknown>>(t, '/doors', {
      zoneId: zone.id,
      name: 'Cage 9 gate',
      entryCardReaderId: entry.id,
      exitCardReaderId: exit.id,
      credentialPolicy: 'card+fingerprint',
    });
    expect(door).toMatchObject({ entryCardReaderId: entry.id, exitCardReaderId: exit.id, credentialPolicy: 'card+fingerprint' });

    const reuse = await send('post', '/doors', { zoneId: zone.id, name: 'Second gate', entryCardReaderId: entry.id });
    expect(reuse.body).toMatchObject({ code: 'door.reader_in_use' });
    const deskAtDoor = await send('post', '/doors', { zoneId: zone.id, name: 'Desk gate', entryCardReaderId: desk.id });
    expect(deskAtDoor.body).toMatchObject({ code: 'door.reader_not_door_role' });
    const otherZone = await post<{ id: string }>(t, '/zones', { siteId: otherSiteId, name: 'Elsewhere', kind: 'cage' });
    const otherSite = await send('post', '/doors', { zoneId: otherZone.id, name: 'Far gate', entryCardReaderId: exit.id });
    expect(otherSite.body).toMatchObject({ code: 'door.reader_other_site' });
    expect((await send('patch', `/doors/${door.id as string}`, { credentialPolicy: 'pin' })).status).toBe(400);

    // A reader a door names cannot be deleted; the door back to the zone's policy.
    const del = await t.http().delete(`/card-readers/${entry.id}`).set(bearer(t.adminToken));
    expect(del.status).toBe(409);
    expect(del.body).toMatchObject({ code: 'registry.in_use' });
    const back = await send('patch', `/doors/${door.id as string}`, { credentialPolicy: null });
    expect(back.body).toMatchObject({ credentialPolicy: null });
    const delBus = await t.http().delete(`/osdp-buses/${busId}`).set(bearer(t.adminToken));
    expect(delBus.body).toMatchObject({ code: 'registry.in_use' });
  });

  it('a zone defaults to fingerprint, the policy existing badge-in behaviour keeps', async () => {
    const zone = await post<{ credentialPolicy: string }>(t, '/zones', { siteId, name: 'Plain hall', kind: 'shared' });
    expect(zone.credentialPolicy).toBe('fingerprint');
  });
});
