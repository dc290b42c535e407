import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { CardFleet } from '@acs/card-fleet';
import { CredentialService } from '@acs/credentials';
import { bearer, createCustomer, createPerson, post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { atDesk, buildCardDesk, cardNeedles, cardRead, desk, type CardDesk } from './card-support.js';

// Two tests wait out the shortest desk timeout (5 s).
jest.setTimeout(30_000);

/** Distinctive: eight digits cannot turn up in a timestamp or an id by chance. */
const PIN = '90417263';

describe('cards at the security desk', () => {
  let t: TestApp;
  let d: CardDesk;
  let cardId: string;
  const read = cardRead(1);

  beforeAll(async () => {
    t = await startTestApp();
    d = await buildCardDesk(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('issues the card presented at the desk reader to the person, masked', async () => {
    const res = await atDesk(
      t,
      'card',
      () => desk.issue(t, d.personId, { deskReaderId: d.deskId, validUntil: '2027-12-31T23:00:00Z' }),
      (fleet) => fleet.emit('card', { readerId: d.deskId, read, at: t.clock.nowMs() }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ personId: d.personId, customerId: d.customerId, state: 'active', pinSet: false, validUntil: '2027-12-31T23:00:00.000Z' });
    expect(res.body.hint).toMatch(/^\d\d$/);
    cardId = res.body.id;
    const list = await t.http().get(`/people/${d.personId}/cards`).set(bearer(t.adminToken)).expect(200);
    expect(list.body.map((c: { id: string }) => c.id)).toEqual([cardId]);
  });

  it('ignores cards presented at another reader while it waits', async () => {
    const other = await createPerson(t, d.customerId);
    const res = await atDesk(
      t,
      'card',
      () => desk.issue(t, other.id, { deskReaderId: d.deskId }),
      (fleet) => {
        fleet.emit('card', { readerId: d.doorCardReaderId, read: cardRead(99), at: t.clock.nowMs() });
        fleet.emit('card', { readerId: d.deskId, read: cardRead(2), at: t.clock.nowMs() });
      },
    );
    expect(res.status).toBe(201);
    expect(res.body.personId).toBe(other.id);
  });

  it('refuses a card that is already issued', async () => {
    const res = await atDesk(
      t,
      'card',
      () => desk.issue(t, d.personId, { deskReaderId: d.deskId }),
      (fleet) => fleet.emit('card', { readerId: d.deskId, read, at: t.clock.nowMs() }),
    );
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'credentials.card_already_issued' });
  });

  it('names the problem with the desk reader before waiting', async () => {
    const cases: Array<[object, number, string]> = [
      [{ deskReaderId: '00000000-0000-4000-8000-000000000000' }, 404, 'card_reader.not_found'],
      [{ deskReaderId: d.doorCardReaderId }, 400, 'card.not_a_desk_reader'],
      [{ deskReaderId: d.elsewhereDeskId }, 409, 'card.desk_reader_elsewhere'],
      [{ deskReaderId: d.deskId, timeoutSeconds: 1 }, 400, 'validation.failed'],
      [{ deskReaderId: d.deskId, validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }, 400, 'credentials.invalid_validity'],
    ];
    for (const [body, status, code] of cases) {
      const res = await desk.issue(t, d.personId, body);
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    }
    // A PIN or card number sent over HTTP is refused by name, never echoed.
    const typedIn = await desk.pin(t, cardId, { deskReaderId: d.deskId, pin: PIN });
    expect({ status: typedIn.status, code: typedIn.body.code }).toEqual({ status: 400, code: 'validation.failed' });
    expect(JSON.stringify(typedIn.body)).not.toContain(PIN);
    const far = await desk.issue(t, d.personId, { deskReaderId: d.elsewhereDeskId });
    expect(far.body.host).toBe('dc1-b');
    const nobody = await desk.issue(t, '00000000-0000-4000-8000-000000000000', { deskReaderId: d.deskId });
    expect(nobody.body.code).toBe('person.not_found');
  });

  it('answers card.desk_timeout when nothing is presented, and frees the reader', async () => {
    const res = await desk.issue(t, d.personId, { deskReaderId: d.deskId, timeoutSeconds: 5 });
    expect({ status: res.status, code: res.body.code, readerId: res.body.readerId }).toEqual({ status: 409, code: 'card.desk_timeout', readerId: d.deskId });
  });

  it('refuses a second request waiting at the same desk reader', async () => {
    const first = await atDesk(
      t,
      'card',
      () => desk.issue(t, d.personId, { deskReaderId: d.deskId }),
      async (fleet) => {
        const second = await desk.pin(t, cardId, { deskReaderId: d.deskId });
        expect({ status: second.status, code: second.body.code }).toEqual({ status: 409, code: 'card.desk_busy' });
        fleet.emit('card', { readerId: d.deskId, read: cardRead(3), at: t.clock.nowMs() });
      },
    );
    expect(first.status).toBe(201);
  });

  it('frees the desk reader as soon as the client goes away', async () => {
    const fleet = t.app.get(CardFleet);
    const before = fleet.listenerCount('card');
    const abandoned = t.http().post(`/people/${d.personId}/cards`).set(bearer(t.adminToken)).send({ deskReaderId: d.deskId });
    abandoned.on('error', () => undefined);
    abandoned.end(() => undefined);
    for (let i = 0; fleet.listenerCount('card') <= before; i++) {
      if (i > 400) throw new Error('the issue request never waited at the desk');
      await sleep(10);
    }
    abandoned.abort();
    for (let i = 0; i < 100 && fleet.listenerCount('card') > before; i++) await sleep(10);
    expect(fleet.listenerCount('card')).toBe(before);
    // Not card.desk_busy: the next request waits (and a PIN typed ends it).
    const next = await atDesk(
      t,
      'pin',
      () => desk.pin(t, cardId, { deskReaderId: d.deskId }),
      (f) => f.emit('pin', { readerId: d.deskId, pin: '', cancelled: true, at: t.clock.nowMs() }),
    );
    expect(next.body.code).toBe('card.pin_cancelled');
  });

  it('sets the PIN typed on the desk keypad; a cancelled or malformed entry changes nothing', async () => {
    const typed = (pin: string, cancelled = false) =>
      atDesk(
        t,
        'pin',
        () => desk.pin(t, cardId, { deskReaderId: d.deskId }),
        (fleet) => fleet.emit('pin', { readerId: d.deskId, pin, cancelled, at: t.clock.nowMs() }),
      );
    const cancelled = await typed('', true);
    expect({ status: cancelled.status, code: cancelled.body.code }).toEqual({ status: 409, code: 'card.pin_cancelled' });
    const short = await typed('12');
    expect({ status: short.status, code: short.body.code }).toEqual({ status: 400, code: 'credentials.invalid_pin' });
    expect((await t.http().get(`/cards/${cardId}`).set(bearer(t.adminToken)).expect(200)).body.pinSet).toBe(false);

    const res = await typed(PIN);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: cardId, pinSet: true, pinLocked: false });
    expect(await t.app.get(CredentialService).verifyPin(cardId, PIN)).toBe('match');
  });

  it('answers card.desk_timeout when no PIN is entered', async () => {
    const res = await desk.pin(t, cardId, { deskReaderId: d.deskId, timeoutSeconds: 5 });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'card.desk_timeout' });
  });

  it('unlocks a locked PIN, suspends, reinstates and revokes', async () => {
    const credentials = t.app.get(CredentialService);
    for (let i = 0; i < 5; i++) expect(await credentials.verifyPin(cardId, '00000000')).toBe('mismatch');
    expect(await credentials.verifyPin(cardId, PIN)).toBe('locked');
    const action = (what: string, status = 200) => t.http().post(`/cards/${cardId}/${what}`).set(bearer(t.adminToken)).expect(status);
    expect((await t.http().get(`/cards/${cardId}`).set(bearer(t.adminToken)).expect(200)).body.pinLocked).toBe(true);
    expect((await action('unlock-pin')).body.pinLocked).toBe(false);
    expect(await credentials.verifyPin(cardId, PIN)).toBe('match');
    expect((await action('suspend')).body.state).toBe('suspended');
    expect((await action('reinstate')).body.state).toBe('active');
    expect((await action('revoke')).body.state).toBe('revoked');
    expect((await action('reinstate', 409)).body.code).toBe('credentials.invalid_card_state');
    const pin = await desk.pin(t, cardId, { deskReaderId: d.deskId });
    expect({ status: pin.status, code: pin.body.code }).toEqual({ status: 409, code: 'credentials.card_revoked' });
  });

  it("lets a customer see and withdraw only its own people's cards, and never issue one", async () => {
    const token = (await post<{ token: string }>(t, `/customers/${d.customerId}/tokens`, { label: 'portal' })).token;
    const other = await createCustomer(t);
    const otherToken = (await post<{ token: string }>(t, `/customers/${other.id}/tokens`, { label: 'portal' })).token;
    const cards = await t.http().get(`/customers/${d.customerId}/people/${d.personId}/cards`).set(bearer(token)).expect(200);
    expect(cards.body.length).toBeGreaterThan(0);
    const active = cards.body.find((c: { state: string }) => c.state === 'active') as { id: string };
    expect(active).toBeDefined();

    // Another customer: not its route, and through its own route the card does not exist.
    await t.http().get(`/customers/${d.customerId}/people/${d.personId}/cards`).set(bearer(otherToken)).expect(403);
    expect((await t.http().get(`/customers/${other.id}/people/${d.personId}/cards`).set(bearer(otherToken)).expect(404)).body.code).toBe('person.not_found');
    expect((await t.http().post(`/customers/${other.id}/cards/${active.id}/suspend`).set(bearer(otherToken)).expect(404)).body.code).toBe('card.not_found');

    // The staff routes are not a customer's.
    for (const [method, path] of [
      ['get', `/people/${d.personId}/cards`],
      ['get', `/cards/${active.id}`],
      ['post', `/people/${d.personId}/cards`],
      ['post', `/cards/${active.id}/pin`],
      ['post', `/cards/${active.id}/reinstate`],
      ['post', `/cards/${active.id}/unlock-pin`],
    ] as const) {
      const res = await t.http()[method](path).set(bearer(token)).send({ deskReaderId: d.deskId });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'auth.forbidden' });
    }

    expect((await t.http().post(`/customers/${d.customerId}/cards/${active.id}/suspend`).set(bearer(token)).expect(200)).body.state).toBe('suspended');
    expect((await t.http().post(`/customers/${d.customerId}/cards/${active.id}/revoke`).set(bearer(token)).expect(200)).body.state).toBe('revoked');
  });

  it('keeps auditors to reads', async () => {
    const auditor = await t.tokenFor('auditor');
    await t.http().get(`/people/${d.personId}/cards`).set(bearer(auditor)).expect(200);
    await t.http().post(`/cards/${cardId}/suspend`).set(bearer(auditor)).expect(403);
    expect((await desk.issue(t, d.personId, { deskReaderId: d.deskId }, auditor)).status).toBe(403);
  });

  it('never puts a card number or a PIN in the logs, audit rows or responses', async () => {
    const logs = t.logs.text();
    const audit = await t.app.get(DataSource).query('SELECT * FROM audit_entry');
    const auditText = JSON.stringify(audit);
    // Positive controls: the scan would see them, and the audit trail has the desk actions.
    expect(JSON.stringify({ x: cardNeedles(read)[0] })).toContain(cardNeedles(read)[0]);
    for (const action of ['card.issue', 'card.set_pin', 'card.suspend', 'card.revoke', 'card.unlock_pin', 'card.list']) expect(auditText).toContain(action);
    expect(logs).toContain('issued to person');
    const needles = [PIN, ...[1, 2, 3].flatMap((s) => cardNeedles(cardRead(s)))];
    for (const text of [logs, auditText]) expect(needles.filter((n) => text.includes(n))).toEqual([]);
    const list = await t.http().get(`/people/${d.personId}/cards`).set(bearer(t.adminToken)).expect(200);
    expect(needles.filter((n) => JSON.stringify(list.body).includes(n))).toEqual([]);
  });
});
