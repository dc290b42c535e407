import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, isoOrNull, NotFoundError, type Page } from '@acs/http';
import { CustomerEntity, PersonEntity } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { pageById, pageInMemory } from '../common/paging.js';
import { customerScope, PersonalData } from '../common/personal-data.js';
import { RegistryChanges } from '../common/registry-changes.js';
import type { CreatePersonDto, PersonQueryDto, PersonView, UpdatePersonDto } from './person.dto.js';
import { lookupTerms, matchesWords, nameWords, PersonNameIndex } from './name-index.js';

export { searchable } from './name-index.js';

const row = (id: string) => `person:${id}`;
const parse = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Date.parse(v));

@Injectable()
export class PersonService {
  private readonly names: PersonNameIndex;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly pd: PersonalData,
    private readonly changes: RegistryChanges,
  ) {
    this.names = new PersonNameIndex(ds, writes, pd);
  }

  async create(customerId: string, dto: CreatePersonDto): Promise<PersonView> {
    const validFrom = parse(dto.validFrom);
    const validUntil = parse(dto.validUntil);
    assertWindow(validFrom, validUntil);
    const id = newId();
    const now = this.clock.nowMs();
    const scope = customerScope(customerId);
    const entity = await this.writes.transaction(async (m) => {
      const customer = await m.findOne(CustomerEntity, { where: { id: customerId } });
      if (!customer) throw new NotFoundError('Customer', customerId);
      if (customer.purgedAt !== null) throw new ConflictError('customer.purged', 'people cannot be added to a purged customer');
      const e: PersonEntity = {
        id,
        customerId,
        nameCt: (await this.pd.seal(scope, row(id), 'name', dto.fullName))!,
        emailCt: await this.pd.seal(scope, row(id), 'email', dto.email),
        phoneCt: await this.pd.seal(scope, row(id), 'phone', dto.phone),
        status: dto.status ?? 'active',
        validFrom,
        validUntil,
        kind: 'employee',
        escortPersonId: null,
        createdAt: now,
        updatedAt: now,
      };
      await m.insert(PersonEntity, e);
      await this.names.write(m, customerId, id, dto.fullName);
      return e;
    });
    this.changes.emit({ kind: 'person', id, op: 'created', customerId });
    return this.view(entity);
  }

  /**
   * A visitor's person row, made at the security desk (@acs/visitors): valid for the visit only
   * and, when the customer's policy requires it, naming the host who must escort them. The id is
   * the visit's, so one erasure finds both. Not reachable over the people routes: those make
   * employees.
   */
  async createVisitor(
    customerId: string,
    v: { id: string; fullName: string; email: string | null; validFrom: number; validUntil: number; escortPersonId: string | null },
  ): Promise<PersonView> {
    assertWindow(v.validFrom, v.validUntil);
    const now = this.clock.nowMs();
    const scope = customerScope(customerId);
    const entity = await this.writes.transaction(async (m) => {
      const customer = await m.findOne(CustomerEntity, { where: { id: customerId } });
      if (!customer) throw new NotFoundError('Customer', customerId);
      if (customer.purgedAt !== null) throw new ConflictError('customer.purged', 'people cannot be added to a purged customer');
      if (v.escortPersonId !== null) await this.mustGet(customerId, v.escortPersonId, m);
      const e: PersonEntity = {
        id: v.id,
        customerId,
        nameCt: (await this.pd.seal(scope, row(v.id), 'name', v.fullName))!,
        emailCt: await this.pd.seal(scope, row(v.id), 'email', v.email),
        phoneCt: null,
        status: 'active',
        validFrom: v.validFrom,
        validUntil: v.validUntil,
        kind: 'visitor',
        escortPersonId: v.escortPersonId,
        createdAt: now,
        updatedAt: now,
      };
      await m.insert(PersonEntity, e);
      await this.names.write(m, customerId, v.id, v.fullName);
      return e;
    });
    this.changes.emit({ kind: 'person', id: v.id, op: 'created', customerId });
    return this.view(entity);
  }

  /** Ends a person's validity at `at` (a visitor checked out): every decision from then on says person_expired. */
  async endValidity(customerId: string, id: string, at: number): Promise<void> {
    await this.writes.transaction(async (m) => {
      const e = await this.mustGet(customerId, id, m);
      if (e.validUntil !== null && e.validUntil <= at) return;
      await m.update(PersonEntity, { id }, { validUntil: Math.max(at, (e.validFrom ?? at - 1) + 1), updatedAt: this.clock.nowMs() });
    });
    this.changes.emit({ kind: 'person', id, op: 'updated', customerId });
  }

  async update(customerId: string, id: string, dto: UpdatePersonDto): Promise<PersonView> {
    const scope = customerScope(customerId);
    const entity = await this.writes.transaction(async (m) => {
      const e = await this.mustGet(customerId, id, m);
      if (dto.fullName !== undefined) e.nameCt = (await this.pd.seal(scope, row(id), 'name', dto.fullName))!;
      if (dto.email !== undefined) e.emailCt = await this.pd.seal(scope, row(id), 'email', dto.email);
      if (dto.phone !== undefined) e.phoneCt = await this.pd.seal(scope, row(id), 'phone', dto.phone);
      if (dto.status !== undefined) e.status = dto.status;
      if (dto.validFrom !== undefined) e.validFrom = parse(dto.validFrom);
      if (dto.validUntil !== undefined) e.validUntil = parse(dto.validUntil);
      assertWindow(e.validFrom, e.validUntil);
      e.updatedAt = this.clock.nowMs();
      await m.save(PersonEntity, e);
      if (dto.fullName !== undefined) await this.names.write(m, customerId, id, dto.fullName);
      return e;
    });
    const contactOnly = dto.status === undefined && dto.validFrom === undefined && dto.validUntil === undefined;
    this.changes.emit({ kind: 'person', id, op: 'updated', customerId, ...(contactOnly ? { contactOnly } : {}) });
    return this.view(entity);
  }

  async get(customerId: string, id: string): Promise<PersonView> {
    return this.view(await this.mustGet(customerId, id));
  }

  /**
   * A name search finds the people every word of `q` begins a word of the name of, in any order
   * ({@link matchesWords}). Names are ciphertexts: the blind index ({@link PersonNameIndex}) gives
   * the people having all the query's words of two letters or more as prefixes, and only those
   * names are decrypted to apply the rule; a query of one-letter words only, or a process whose
   * index is still being completed, decrypts every name of the customer (or everyone's, for a
   * staff-wide search). See the person-search benchmark.
   */
  async list(customerId: string | undefined, q: PersonQueryDto): Promise<Page<PersonView>> {
    const repo = this.ds.getRepository(PersonEntity);
    const qb = repo.createQueryBuilder('p');
    if (customerId) qb.andWhere('p.customerId = :customerId', { customerId });
    if (q.status) qb.andWhere('p.status = :status', { status: q.status });
    if (!q.q) return pageById(qb, 'p', q, (e) => this.view(e));
    const words = nameWords(q.q);
    const terms = lookupTerms(words);
    const ids = terms.length > 0 ? await this.names.candidates(customerId ? [customerId] : await this.customerIds(), terms) : null;
    let rows: PersonEntity[];
    if (ids === null) rows = await qb.orderBy('p.id', 'ASC').getMany();
    else {
      rows = [];
      const list = [...ids];
      for (let i = 0; i < list.length; i += 500)
        rows.push(
          ...(await qb
            .clone()
            .andWhere('p.id IN (:...ids)', { ids: list.slice(i, i + 500) })
            .getMany()),
        );
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    // Only names are decrypted to filter; the page's people are then read in full.
    const names = await Promise.all(rows.map((e) => this.pd.open(row(e.id), 'name', e.nameCt)));
    const matches = rows.filter((_, i) => matchesWords(names[i]!, words));
    const page = pageInMemory(matches, q);
    return { ...page, items: await Promise.all(page.items.map((e) => this.view(e))) };
  }

  private async customerIds(): Promise<string[]> {
    return (await this.ds.getRepository(CustomerEntity).find({ select: { id: true }, where: { purgedAt: IsNull() } })).map((c) => c.id);
  }

  async delete(customerId: string, id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGet(customerId, id, m);
      await m.delete(PersonEntity, { id });
    });
    this.changes.emit({ kind: 'person', id, op: 'deleted', customerId });
  }

  /** The customer a person belongs to; null when there is no such person. For other contexts, which do not read the person table. */
  async customerOf(personId: string): Promise<string | null> {
    const row = await this.ds.getRepository(PersonEntity).findOne({ where: { id: personId }, select: { id: true, customerId: true } });
    return row?.customerId ?? null;
  }

  /** Scoped by customer: a person of another customer is "not found", whatever the id. */
  async mustGet(customerId: string, id: string, m: EntityManager = this.ds.manager): Promise<PersonEntity> {
    const e = await m.findOne(PersonEntity, { where: { id, customerId } });
    if (!e) throw new NotFoundError('Person', id);
    return e;
  }

  private async view(e: PersonEntity): Promise<PersonView> {
    return {
      id: e.id,
      customerId: e.customerId,
      fullName: (await this.pd.open(row(e.id), 'name', e.nameCt))!,
      email: await this.pd.open(row(e.id), 'email', e.emailCt),
      phone: await this.pd.open(row(e.id), 'phone', e.phoneCt),
      status: e.status,
      validFrom: isoOrNull(e.validFrom),
      validUntil: isoOrNull(e.validUntil),
      kind: e.kind,
      escortPersonId: e.escortPersonId,
    };
  }
}

function assertWindow(from: number | null, until: number | null): void {
  if (from !== null && until !== null && until <= from) {
    throw new DomainError('person.bad_validity', 'validUntil must be after validFrom');
  }
}
