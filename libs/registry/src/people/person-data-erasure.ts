import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { NotFoundError } from '@acs/http';
import { RegistryChanges } from '../common/registry-changes.js';
import { GrantEntity } from '../entities/access.entity.js';
import { CustomerEntity } from '../entities/customer.entity.js';
import { PersonEntity } from '../entities/person.entity.js';
import { PersonNameIndexEntity } from '../entities/person-name-index.entity.js';
import { findErasableCustomer } from '../customers/erasure-reads.js';

/** Whose data an erasure takes: a whole customer's people and contact person, or one person. */
export type PersonDataSubject = { customerId: string } | { customerId: string; personId: string };

/** The customer facts an erasure needs (dates and contract reference; no personal data). */
export interface ErasableCustomer {
  id: string;
  contractRef: string;
  serviceStart: number;
  serviceEnd: number | null;
  purgedAt: number | null;
}

/** A sealed value as stored (row and field name its associated data); for the erasure's byte scan. */
export interface SealedValue {
  row: string;
  field: string;
  ciphertext: string;
}

export interface PersonDataErased {
  people: number;
  grants: number;
  /** 1 when the customer had a contact person whose data was cleared (customer subjects only). */
  contactPerson: number;
  /** Emit with {@link PersonDataErasure.announce} after the caller's transaction commits. */
  deletedPersonIds: string[];
}

const isPerson = (s: PersonDataSubject): s is { customerId: string; personId: string } => 'personId' in s;

/**
 * The registry's erase operations (it owns customers, people and grants; compliance decides when
 * they run). `erasePersonData` takes the caller's transaction, so an erasure step can commit its
 * own progress with the deletes: a crash cannot separate the two.
 */
@Injectable()
export class PersonDataErasure {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly changes: RegistryChanges,
  ) {}

  /** The tables `erasePersonData` deletes from or rewrites (PostgreSQL vacuums them afterwards). */
  tables(): string[] {
    return [PersonEntity, PersonNameIndexEntity, GrantEntity, CustomerEntity].map((e) => this.ds.getMetadata(e).tableName);
  }

  async customer(id: string): Promise<ErasableCustomer> {
    const c = await findErasableCustomer(this.ds.manager, id);
    if (!c) throw new NotFoundError('Customer', id);
    return c;
  }

  /** The customer a person belongs to; NotFound when the person does not exist (or not at `customerId`). */
  async customerOf(personId: string, customerId?: string): Promise<string> {
    const p = await this.ds
      .getRepository(PersonEntity)
      .findOne({ where: { id: personId, ...(customerId ? { customerId } : {}) }, select: { id: true, customerId: true } });
    if (!p) throw new NotFoundError('Person', personId);
    return p.customerId;
  }

  async countPeople(customerId: string): Promise<number> {
    return this.ds.getRepository(PersonEntity).count({ where: { customerId } });
  }

  /** Customers whose service ended at or before `cutoff` and that were not purged. */
  async endedBefore(cutoff: number): Promise<string[]> {
    const rows = await this.ds
      .getRepository(CustomerEntity)
      .createQueryBuilder('c')
      .select('c.id', 'id')
      .where('c.purgedAt IS NULL AND c.serviceEnd IS NOT NULL AND c.serviceEnd <= :cutoff', { cutoff })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** The subject's names and contact data as sealed (for a customer, its contact person's too). */
  async sealedValues(subject: PersonDataSubject): Promise<SealedValue[]> {
    const out: SealedValue[] = [];
    const add = (row: string, field: string, ciphertext: string | null) => {
      if (ciphertext) out.push({ row, field, ciphertext });
    };
    const people = await this.ds.getRepository(PersonEntity).find({ where: isPerson(subject) ? { id: subject.personId } : { customerId: subject.customerId } });
    for (const p of people) {
      add(`person:${p.id}`, 'name', p.nameCt);
      add(`person:${p.id}`, 'email', p.emailCt);
      add(`person:${p.id}`, 'phone', p.phoneCt);
    }
    if (!isPerson(subject)) {
      const c = await this.ds.getRepository(CustomerEntity).findOne({ where: { id: subject.customerId } });
      if (c) {
        add(`customer:${c.id}`, 'contact_name', c.contactNameCt);
        add(`customer:${c.id}`, 'contact_email', c.contactEmailCt);
        add(`customer:${c.id}`, 'contact_phone', c.contactPhoneCt);
      }
    }
    return out;
  }

  /**
   * The name search index's stored values of one person (keyed hashes and pads), for the byte
   * scan of a person erasure: the customer's key outlives the person, so a hash left in a free
   * page could still be tested against a guessed name. Empty for a customer: its rows are deleted
   * with its people and its key is destroyed, which makes any leftover unlinkable for good (and a
   * customer's tens of thousands of hashes would make the PostgreSQL scan far slower).
   */
  async nameIndexValues(subject: PersonDataSubject): Promise<string[]> {
    if (!isPerson(subject)) return [];
    // Only the hashes no colleague has: a prefix two people share ("de" of Dekker and Dennis) is
    // one hash, and the colleague's row rightly stays.
    const rows = await this.ds
      .getRepository(PersonNameIndexEntity)
      .createQueryBuilder('i')
      .select('i.hash', 'hash')
      .where('i.personId = :personId', { personId: subject.personId })
      .andWhere('NOT EXISTS (SELECT 1 FROM person_name_index o WHERE o.customer_id = i.customer_id AND o.hash = i.hash AND o.person_id <> i.person_id)')
      .getRawMany<{ hash: string }>();
    return rows.map((r) => r.hash);
  }

  /**
   * Deletes the subject's people, their name search index rows and their grants; for a customer also clears the contact person
   * and marks the customer purged (the first purge time stays). Idempotent.
   */
  async erasePersonData(m: EntityManager, subject: PersonDataSubject, now: number): Promise<PersonDataErased> {
    const people = await m.find(PersonEntity, {
      where: isPerson(subject) ? { id: subject.personId } : { customerId: subject.customerId },
      select: { id: true },
    });
    const ids = people.map((p) => p.id);
    let grants = 0;
    let deleted = 0;
    if (ids.length > 0) {
      grants = (await m.delete(GrantEntity, { personId: In(ids) })).affected ?? 0;
      // The foreign key cascades as well; deleted here so the erasure does not depend on it.
      await m.delete(PersonNameIndexEntity, { personId: In(ids) });
      deleted = (await m.delete(PersonEntity, { id: In(ids) })).affected ?? 0;
    }
    let contactPerson = 0;
    if (!isPerson(subject)) {
      const c = await m.findOneOrFail(CustomerEntity, { where: { id: subject.customerId } });
      if (c.contactNameCt !== null || c.contactEmailCt !== null || c.contactPhoneCt !== null) contactPerson = 1;
      await m.update(
        CustomerEntity,
        { id: c.id },
        { contactNameCt: null, contactEmailCt: null, contactPhoneCt: null, purgedAt: c.purgedAt ?? now, updatedAt: now },
      );
    }
    return { people: deleted, grants, contactPerson, deletedPersonIds: ids };
  }

  /** Tells the registry's listeners (reader plans, caches) what `erasePersonData` changed. */
  announce(subject: PersonDataSubject, erased: Pick<PersonDataErased, 'deletedPersonIds'>): void {
    for (const id of erased.deletedPersonIds) this.changes.emit({ kind: 'person', id, op: 'deleted', customerId: subject.customerId });
    if (!isPerson(subject)) this.changes.emit({ kind: 'customer', id: subject.customerId, op: 'updated', customerId: subject.customerId });
  }
}
