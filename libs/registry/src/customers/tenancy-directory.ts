import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { readRows } from '@acs/database';
import { CustomerEntity, SiteEntity } from '../entities/index.js';

const nullableMs = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** The contract dates that decide how long a customer's history is kept; nothing personal. */
export interface CustomerTerm {
  readonly id: string;
  readonly serviceEnd: number | null;
  /** When the customer's personal data was purged; null while it is kept. */
  readonly purgedAt: number | null;
}

/**
 * Read operations on customers and sites for libs that key their own rows by them (the access
 * log: retention per customer, local time per site). Only ids, dates and zones leave the lib.
 */
@Injectable()
export class TenancyDirectory {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Null for an unknown customer (the caller decides whether that is a 404). Every history read
   * asks this first: one prepared statement, not TypeORM's findOne (about 0.3 ms a request).
   */
  async customerTerm(customerId: string): Promise<CustomerTerm | null> {
    const [row] = await readRows<{ id: string; service_end: number | string | null; purged_at: number | string | null }>(
      this.ds,
      'SELECT id, service_end, purged_at FROM customer WHERE id = ?',
      [customerId],
    );
    return row ? { id: row.id, serviceEnd: nullableMs(row.service_end), purgedAt: nullableMs(row.purged_at) } : null;
  }

  /** Every customer id, purged ones included, in id order. */
  async customerIds(): Promise<string[]> {
    const rows = await this.ds.manager.find(CustomerEntity, { select: { id: true }, order: { id: 'ASC' } });
    return rows.map((c) => c.id);
  }

  /** IANA zone of each existing site; all sites without `siteIds`. A site that does not exist is left out. */
  async siteTimeZones(siteIds?: readonly string[]): Promise<Map<string, string>> {
    if (siteIds?.length === 0) return new Map();
    const sites = await this.ds.manager.find(SiteEntity, { where: siteIds ? { id: In([...siteIds]) } : {}, select: { id: true, timeZone: true } });
    return new Map(sites.map((s) => [s.id, s.timeZone]));
  }
}

/** Every customer id (purged ones included) and every site id. */
export interface TenancyIds {
  readonly customerIds: string[];
  readonly siteIds: string[];
}

/**
 * The ids of every customer and site, for libs that keep something per tenant (compliance's
 * checkpoints name the access log's chains by them). A plain function over an EntityManager,
 * because acsctl runs it without a Nest container; one query over the two primary keys, so a
 * checkpoint costs one round trip here whatever the number of customers.
 */
export async function tenancyIds(m: EntityManager): Promise<TenancyIds> {
  const rows = (await m.query(`SELECT id, 'customer' AS kind FROM customer UNION ALL SELECT id, 'site' AS kind FROM site`)) as Array<{
    id: string;
    kind: 'customer' | 'site';
  }>;
  return {
    customerIds: rows.filter((r) => r.kind === 'customer').map((r) => r.id),
    siteIds: rows.filter((r) => r.kind === 'site').map((r) => r.id),
  };
}
