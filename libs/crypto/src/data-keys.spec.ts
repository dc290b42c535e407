import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { DataKeyEntity } from './data-key.entity.js';
import { dataKeyIdOf, dataKeyTables } from './data-keys.js';

/** Over crypto's own data_key table in a migrated database. */
describe('data key reads', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeEach(async () => {
    db = await createLibTestDatabase([DataKeyEntity]);
    ds = db.dataSource;
    await ds.getRepository(DataKeyEntity).insert([
      { id: 'key-a', scope: 'customer:a', wrappedKey: 'w', masterKeyId: 'm', createdAt: 1, rewrappedAt: null },
      { id: 'key-b', scope: 'customer:b', wrappedKey: 'w', masterKeyId: 'm', createdAt: 1, rewrappedAt: null },
    ]);
  });
  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['customer:a', 'key-a'],
    ['customer:b', 'key-b'],
    ['customer:none', null],
    ['customer:', null],
  ])('the key id of scope %s is %s', async (scope, id) => {
    expect(await dataKeyIdOf(ds.manager, scope)).toBe(id);
  });

  it("reads inside the caller's transaction, so a key destroyed there is already gone", async () => {
    await ds.transaction(async (m) => {
      await m.delete(DataKeyEntity, { scope: 'customer:a' });
      expect(await dataKeyIdOf(m, 'customer:a')).toBeNull();
    });
    expect(await dataKeyIdOf(ds.manager, 'customer:a')).toBeNull();
  });

  it('names the data key table as the database knows it', () => {
    expect(dataKeyTables(ds)).toEqual(['data_key']);
  });
});
