import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { FingerprintTemplateEntity } from './entities.js';
import { countTemplates } from './template-presence.js';

/** Over the reader fleet's own fingerprint_template table in a migrated database. */
describe(countTemplates.name, () => {
  let db: TestDatabase;
  let ds: DataSource;

  const template = (id: string, personId: string, customerId: string, finger: number): FingerprintTemplateEntity => ({
    id,
    personId,
    customerId,
    finger,
    templateCt: 'ct',
    model: 'r503',
    format: 'f',
    size: 1,
    quality: 100,
    enrolledBy: null,
    enrolledAt: 1,
  });

  // Read only: one database for all the cases.
  beforeAll(async () => {
    db = await createLibTestDatabase([FingerprintTemplateEntity]);
    ds = db.dataSource;
    await ds
      .getRepository(FingerprintTemplateEntity)
      .insert([template('t1', 'p1', 'c1', 0), template('t2', 'p1', 'c1', 1), template('t3', 'p2', 'c1', 0), template('t4', 'p3', 'c2', 0)]);
  });
  afterAll(async () => {
    await db.close();
  });

  it.each([
    [{ customerId: 'c1' }, 3],
    [{ customerId: 'c2' }, 1],
    [{ customerId: 'c3' }, 0],
    [{ personId: 'p1' }, 2],
    [{ personId: 'p3' }, 1],
    [{ personId: 'nobody' }, 0],
  ])('counts the templates of %j: %i', async (owner, n) => {
    expect(await countTemplates(ds.manager, owner)).toBe(n);
  });
});
