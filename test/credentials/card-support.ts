import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { CardFleet } from '@acs/card-fleet';
import type { CardRead } from '@acs/credentials';
import { bearer, createCustomer, createPerson, post } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';

export interface CardDesk {
  siteId: string;
  deskId: string;
  doorCardReaderId: string;
  /** An enrolment card reader on a bus wired to another server instance. */
  elsewhereDeskId: string;
  customerId: string;
  personId: string;
}

/**
 * A site with an OSDP bus on this instance (a desk reader and a door reader) and one on another
 * instance. The bus points at a closed TCP port: the fleet opens it (so `has()` is true) and keeps
 * reconnecting, while the tests stand in for the reader by emitting the fleet's events.
 */
export async function buildCardDesk(t: TestApp): Promise<CardDesk> {
  const site = await post<{ id: string }>(t, '/sites', { name: `CARDS-${Date.now() % 100000}`, timeZone: 'Europe/Amsterdam' });
  const bus = await post<{ id: string }>(t, '/osdp-buses', { siteId: site.id, name: 'Desk line', transport: 'tcp://127.0.0.1:9' });
  const desk = await post<{ id: string }>(t, '/card-readers', { busId: bus.id, name: 'Desk card reader', address: 1, role: 'enrolment' });
  const door = await post<{ id: string }>(t, '/card-readers', { busId: bus.id, name: 'Suite card reader', address: 2, role: 'door' });
  const far = await post<{ id: string }>(t, '/osdp-buses', { siteId: site.id, name: 'Far line', transport: 'tcp://127.0.0.1:10', host: 'dc1-b' });
  const elsewhere = await post<{ id: string }>(t, '/card-readers', { busId: far.id, name: 'Far desk', address: 1, role: 'enrolment' });
  const customer = await createCustomer(t);
  const person = await createPerson(t, customer.id);
  const fleet = t.app.get(CardFleet);
  for (let i = 0; !fleet.has(desk.id); i++) {
    if (i > 200) throw new Error('the card fleet never opened the desk bus');
    await sleep(25);
  }
  return { siteId: site.id, deskId: desk.id, doorCardReaderId: door.id, elsewhereDeskId: elsewhere.id, customerId: customer.id, personId: person.id };
}

/** A 64-bit card read whose bytes are distinctive, so a scan of logs and audit rows can look for them. */
export function cardRead(seed: number): CardRead {
  const data = Buffer.from([0x8f, 0x3a, 0x5c, 0x71, 0xe2, 0xb4, 0x9d, seed & 0xff]);
  return { format: 'unspecified', bitCount: 64, data };
}

/** Every way a card number could show up in text: decimal, hex (both cases), base64. */
export function cardNeedles(read: CardRead): string[] {
  const n = BigInt(`0x${read.data.toString('hex')}`);
  return [n.toString(10), read.data.toString('hex'), read.data.toString('hex').toUpperCase(), read.data.toString('base64')];
}

/**
 * Starts a desk request and waits until the server listens at the reader, then lets `act` stand
 * in for the person at the reader; resolves with the response.
 */
export async function atDesk(t: TestApp, kind: 'card' | 'pin', send: () => Promise<Response>, act: (fleet: CardFleet) => unknown): Promise<Response> {
  const fleet = t.app.get(CardFleet);
  const before = fleet.listenerCount(kind);
  const response = send();
  for (let i = 0; fleet.listenerCount(kind) <= before; i++) {
    if (i > 400) throw new Error(`nobody started waiting for a ${kind} at the desk`);
    await sleep(10);
  }
  await act(fleet);
  return response;
}

export const desk = {
  issue: (t: TestApp, personId: string, body: object, token = t.adminToken) =>
    t
      .http()
      .post(`/people/${personId}/cards`)
      .set(bearer(token))
      .send(body)
      .then((r) => r),
  pin: (t: TestApp, cardId: string, body: object, token = t.adminToken) =>
    t
      .http()
      .post(`/cards/${cardId}/pin`)
      .set(bearer(token))
      .send(body)
      .then((r) => r),
};
