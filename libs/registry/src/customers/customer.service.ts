import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, iso, isoOrNull, NotFoundError, type Page } from '@acs/http';
import { CustomerEntity, GrantEntity, PersonEntity } from '../entities/index.js';
import { newId } from '../common/ids.js';
import { pageById } from '../common/paging.js';
import { customerScope, PersonalData } from '../common/personal-data.js';
import { assertUnreferenced } from '../common/references.js';
import { RegistryChanges } from '../common/registry-changes.js';
import { customerStatus } from './customer-status.js';
import type { ContactDto, CreateCustomerDto, CustomerQueryDto, CustomerView, UpdateCustomerDto } from './customer.dto.js';

const row = (id: string) => `customer:${id}`;

@Injectable()
export class CustomerService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly pd: PersonalData,
    private readonly changes: RegistryChanges,
  ) {}

  async create(dto: CreateCustomerDto): Promise<CustomerView> {
    const start = Date.parse(dto.serviceStart);
    const end = dto.serviceEnd ? Date.parse(dto.serviceEnd) : null;
    if (end !== null && end <= start) throw new DomainError('customer.bad_service_window', 'serviceEnd must be after serviceStart');
    const id = newId();
    const now = this.clock.nowMs();
    const entity = await this.writes.transaction(async (m) => {
      if (await m.exists(CustomerEntity, { where: { contractRef: dto.contractRef } })) {
        throw new ConflictError('customer.contract_ref_taken', 'a customer with this contract reference exists');
      }
      const e: CustomerEntity = {
        id,
        companyName: dto.companyName,
        contractRef: dto.contractRef,
        serviceStart: start,
        serviceEnd: end,
        ...(await this.sealContact(id, dto.contact)),
        purgedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await m.insert(CustomerEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'customer', id, op: 'created', customerId: id });
    return this.view(entity, true);
  }

  async update(id: string, dto: UpdateCustomerDto): Promise<CustomerView> {
    const entity = await this.writes.transaction(async (m) => {
      const e = await this.mustGet(id, m);
      if (e.purgedAt !== null) throw new ConflictError('customer.purged', 'a purged customer cannot be changed');
      if (dto.companyName !== undefined) e.companyName = dto.companyName;
      if (dto.serviceEnd !== undefined) {
        const end = dto.serviceEnd === null ? null : Date.parse(dto.serviceEnd);
        if (end !== null && end <= e.serviceStart) throw new DomainError('customer.bad_service_window', 'serviceEnd must be after serviceStart');
        e.serviceEnd = end;
      }
      if (dto.contact !== undefined) Object.assign(e, await this.sealContact(id, dto.contact ?? undefined));
      e.updatedAt = this.clock.nowMs();
      await m.save(CustomerEntity, e);
      return e;
    });
    this.changes.emit({ kind: 'customer', id, op: 'updated', customerId: id });
    return this.view(entity, true);
  }

  async get(id: string): Promise<CustomerView> {
    return this.view(await this.mustGet(id), true);
  }

  async list(q: CustomerQueryDto): Promise<Page<CustomerView>> {
    const qb = this.ds.getRepository(CustomerEntity).createQueryBuilder('c');
    if (q.q) {
      const like = `%${q.q.replace(/[%_]/g, (ch) => `\\${ch}`)}%`;
      qb.andWhere(new Brackets((w) => w.where("c.companyName LIKE :like ESCAPE '\\'", { like }).orWhere("c.contractRef LIKE :like ESCAPE '\\'", { like })));
    }
    const now = this.clock.nowMs();
    switch (q.status) {
      case 'purged':
        qb.andWhere('c.purgedAt IS NOT NULL');
        break;
      case 'ended':
        qb.andWhere('c.purgedAt IS NULL AND c.serviceEnd IS NOT NULL AND c.serviceEnd <= :now', { now });
        break;
      case 'upcoming':
        qb.andWhere('c.purgedAt IS NULL AND c.serviceStart > :now', { now });
        break;
      case 'active':
        qb.andWhere('c.purgedAt IS NULL AND c.serviceStart <= :now AND (c.serviceEnd IS NULL OR c.serviceEnd > :now)', { now });
        break;
      case undefined:
        break;
    }
    return pageById(qb, 'c', q, (e) => this.view(e, false));
  }

  async delete(id: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await this.mustGet(id, m);
      await assertUnreferenced(m, 'the customer', [
        { entity: PersonEntity, where: { customerId: id }, label: 'people' },
        { entity: GrantEntity, where: { customerId: id }, label: 'grants' },
      ]);
      await m.delete(CustomerEntity, { id });
    });
    this.changes.emit({ kind: 'customer', id, op: 'deleted', customerId: id });
  }

  /** Whether the customer's data has been purged; null when there is no such customer. For other contexts, which do not read the customer table. */
  async isPurged(customerId: string): Promise<boolean | null> {
    const row = await this.ds.getRepository(CustomerEntity).findOne({ where: { id: customerId }, select: { id: true, purgedAt: true } });
    return row ? row.purgedAt !== null : null;
  }

  async mustGet(id: string, m: EntityManager = this.ds.manager): Promise<CustomerEntity> {
    const e = await m.findOne(CustomerEntity, { where: { id } });
    if (!e) throw new NotFoundError('Customer', id);
    return e;
  }

  private async sealContact(id: string, contact: ContactDto | undefined) {
    const scope = customerScope(id);
    return {
      contactNameCt: await this.pd.seal(scope, row(id), 'contact_name', contact?.name),
      contactEmailCt: await this.pd.seal(scope, row(id), 'contact_email', contact?.email),
      contactPhoneCt: await this.pd.seal(scope, row(id), 'contact_phone', contact?.phone),
    };
  }

  private async view(e: CustomerEntity, withContact: boolean): Promise<CustomerView> {
    const v: CustomerView = {
      id: e.id,
      companyName: e.companyName,
      contractRef: e.contractRef,
      serviceStart: iso(e.serviceStart),
      serviceEnd: isoOrNull(e.serviceEnd),
      status: customerStatus(e, this.clock.nowMs()),
      purgedAt: isoOrNull(e.purgedAt),
    };
    if (withContact) {
      v.contact =
        e.contactNameCt === null
          ? null
          : {
              name: (await this.pd.open(row(e.id), 'contact_name', e.contactNameCt))!,
              email: await this.pd.open(row(e.id), 'contact_email', e.contactEmailCt),
              phone: await this.pd.open(row(e.id), 'contact_phone', e.contactPhoneCt),
            };
    }
    return v;
  }
}
