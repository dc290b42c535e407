import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FingerprintTemplateEntity } from './entities.js';
import { countTemplates } from './template-presence.js';

/** Over the reader fleet's own fingerprint_template table in memory. */
describe(countTemplates.name, () => {
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

  beforeEach(async () => {
    ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [FingerprintTemplateEntity], synchronize: true });
    await ds.initialize();
    await ds
      .getRepository(FingerprintTemplateEntity)
      .insert([template('t1', 'p1', 'c1', 0), template('t2', 'p1', 'c1', 1), template('t3', 'p2', 'c1', 0), template('t4', 'p3', 'c2', 0)]);
  });
  afterEach(async () => {
    await ds.destroy();
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
