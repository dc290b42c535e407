import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { DataKeyEntity, KeyService } from '@acs/crypto';
import { NotFoundError } from '@acs/http';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { REGISTRY_ENTITIES } from '../entities/index.js';
import { PersonalData } from '../common/personal-data.js';
import { RegistryChanges, type RegistryChange } from '../common/registry-changes.js';
import { CustomerService } from '../customers/customer.service.js';
import { PersonDataErasure } from './person-data-erasure.js';
import { PersonService } from './person.service.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');

describe(PersonDataErasure.name, () => {
  let db: TestDatabase;
  let sut: PersonDataErasure;
  let changes: RegistryChange[];
  let customerId: string;
  let anna: string;
  let bert: string;
  let other: string;

  beforeEach(async () => {
    db = await createLibTestDatabase([...REGISTRY_ENTITIES, DataKeyEntity]);
    const clock = new FakeClock('2026-12-01T10:00:00Z');
    const pd = new PersonalData(new KeyService(db.config, db.dataSource, db.writes, clock));
    const registryChanges = new RegistryChanges();
    changes = [];
    registryChanges.subscribe((c) => changes.push(c));
    const customers = new CustomerService(db.dataSource, db.writes, clock, pd, registryChanges);
    const people = new PersonService(db.dataSource, db.writes, clock, pd, registryChanges);
    customerId = (
      await customers.create({
        companyName: 'Erase B.V.',
        contractRef: 'ER-1',
        serviceStart: '2026-01-01T00:00:00Z',
        serviceEnd: '2026-11-01T00:00:00Z',
        contact: { name: 'Contact Person', email: 'contact@example.nl' },
      })
    ).id;
    anna = (await people.create(customerId, { fullName: 'Anna Erasmus', email: 'anna@example.nl', phone: '+31 6 1234 5678' })).id;
    bert = (await people.create(customerId, { fullName: 'Bert Erasmus' })).id;
    const otherCustomer = (await customers.create({ companyName: 'Keep B.V.', contractRef: 'KP-1', serviceStart: '2026-01-01T00:00:00Z' })).id;
    other = (await people.create(otherCustomer, { fullName: 'Other Person' })).id;
    sut = new PersonDataErasure(db.dataSource, registryChanges);
    changes = [];
  });
  afterEach(async () => {
    await db.close();
  });

  it('lists the sealed values of one person, or of a customer with its contact person, as stored (never opened)', async () => {
    const one = await sut.sealedValues({ customerId, personId: anna });
    expect(one.map((v) => `${v.row}/${v.field}`)).toEqual([`person:${anna}/name`, `person:${anna}/email`, `person:${anna}/phone`]);
    expect(one.map((v) => v.ciphertext).join()).not.toContain('Anna');
    const all = await sut.sealedValues({ customerId });
    expect(all.map((v) => v.field).sort()).toEqual(['contact_email', 'contact_name', 'email', 'name', 'name', 'phone'].sort());
  });

  it("erases one person: the others and the customer's contact stay", async () => {
    const erased = await db.writes.transaction((m) => sut.erasePersonData(m, { customerId, personId: anna }, NOW));
    expect(erased).toEqual({ people: 1, grants: 0, contactPerson: 0, deletedPersonIds: [anna] });
    await expect(sut.countPeople(customerId)).resolves.toBe(1);
    await expect(sut.customer(customerId)).resolves.toMatchObject({ purgedAt: null });
    sut.announce({ customerId, personId: anna }, erased);
    expect(changes).toEqual([{ kind: 'person', id: anna, op: 'deleted', customerId }]);
  });

  it('erases a customer: every person, the contact person, and marks it purged once (idempotent)', async () => {
    const first = await db.writes.transaction((m) => sut.erasePersonData(m, { customerId }, NOW));
    expect(first.people).toBe(2);
    expect(first.deletedPersonIds.sort()).toEqual([anna, bert].sort());
    expect(first.contactPerson).toBe(1);
    await expect(sut.sealedValues({ customerId })).resolves.toEqual([]);
    await expect(sut.customer(customerId)).resolves.toMatchObject({ purgedAt: NOW, contractRef: 'ER-1' });
    const again = await db.writes.transaction((m) => sut.erasePersonData(m, { customerId }, NOW + 1000));
    expect(again).toEqual({ people: 0, grants: 0, contactPerson: 0, deletedPersonIds: [] });
    await expect(sut.customer(customerId)).resolves.toMatchObject({ purgedAt: NOW });
    await expect(sut.customerOf(other)).resolves.not.toBe(customerId);
  });

  it('finds customers whose service ended before a cutoff and were not purged', async () => {
    await expect(sut.endedBefore(NOW)).resolves.toEqual([customerId]);
    await expect(sut.endedBefore(Date.parse('2026-10-01T00:00:00Z'))).resolves.toEqual([]);
    await db.writes.transaction((m) => sut.erasePersonData(m, { customerId }, NOW));
    await expect(sut.endedBefore(NOW)).resolves.toEqual([]);
  });

  it('NotFound for an unknown customer or a person at another customer', async () => {
    await expect(sut.customer('00000000-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(sut.customerOf(other, customerId)).rejects.toBeInstanceOf(NotFoundError);
  });
});
