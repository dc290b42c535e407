import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull } from 'typeorm';
import { NotFoundError } from '@acs/http';
import { GrantEntity } from '../entities/access.entity.js';
import { CustomerEntity } from '../entities/customer.entity.js';
import { PersonEntity } from '../entities/person.entity.js';
import { DoorEntity } from '../entities/device.entity.js';
import { SiteEntity, ZoneEntity } from '../entities/site.entity.js';

/** A person's row facts a data-subject request needs (no sealed values: PersonService opens those). */
export interface PersonRecord {
  id: string;
  customerId: string;
  status: string;
  createdAt: number;
}

export interface GrantRecord {
  id: string;
  accessLevelId: string;
  /** Null: the grant covers the whole customer. */
  personId: string | null;
  validFrom: number | null;
  validUntil: number | null;
}

/**
 * Read operations for data-subject requests (GDPR Art. 15/20) over the tables the registry owns:
 * compliance asks here instead of reading the registry's entities.
 */
@Injectable()
export class PersonRecords {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async person(id: string): Promise<PersonRecord> {
    const p = await this.ds.getRepository(PersonEntity).findOne({ where: { id }, select: { id: true, customerId: true, status: true, createdAt: true } });
    if (!p) throw new NotFoundError('Person', id);
    return { id: p.id, customerId: p.customerId, status: p.status, createdAt: p.createdAt };
  }

  async employer(customerId: string): Promise<{ customerId: string; companyName: string; contractRef: string }> {
    const c = await this.ds.getRepository(CustomerEntity).findOneOrFail({ where: { id: customerId } });
    return { customerId: c.id, companyName: c.companyName, contractRef: c.contractRef };
  }

  /** The grants that apply to the person: their own and the whole customer's. */
  async grantsOf(person: Pick<PersonRecord, 'id' | 'customerId'>): Promise<GrantRecord[]> {
    const rows = await this.ds.getRepository(GrantEntity).find({ where: [{ personId: person.id }, { customerId: person.customerId, personId: IsNull() }] });
    return rows
      .filter((g) => g.personId === person.id || g.personId === null)
      .map((g) => ({ id: g.id, accessLevelId: g.accessLevelId, personId: g.personId, validFrom: g.validFrom, validUntil: g.validUntil }));
  }

  /** Names of sites, zones and doors by id (one query each, whatever the number of ids). */
  async placeNames(ids: {
    sites: string[];
    zones: string[];
    doors: string[];
  }): Promise<{ sites: Map<string, string>; zones: Map<string, string>; doors: Map<string, string> }> {
    const byId = async (entity: typeof SiteEntity | typeof ZoneEntity | typeof DoorEntity, list: string[]) => {
      if (list.length === 0) return new Map<string, string>();
      const rows = (await this.ds.getRepository(entity).find({ where: { id: In(list) }, select: { id: true, name: true } })) as Array<{
        id: string;
        name: string;
      }>;
      return new Map(rows.map((r) => [r.id, r.name]));
    };
    const [sites, zones, doors] = await Promise.all([byId(SiteEntity, ids.sites), byId(ZoneEntity, ids.zones), byId(DoorEntity, ids.doors)]);
    return { sites, zones, doors };
  }
}
