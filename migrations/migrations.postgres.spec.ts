import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { pendingSchemaChanges, runMigrations } from '@acs/database';
import { createPostgresDatabase, type ThrowawayPostgres } from '@acs/database/testing';
import { ENTITIES, MIGRATIONS } from '@acs/schema';

// The same migrations must build the same schema on PostgreSQL (the scale-out database), on a
// throwaway database of the local cluster.
describe('migrations on PostgreSQL', () => {
  let pg: ThrowawayPostgres;
  let ds: DataSource;

  beforeAll(async () => {
    pg = await createPostgresDatabase('acs_mig');
    ds = new DataSource({ type: 'postgres', url: pg.url, entities: ENTITIES, migrations: MIGRATIONS });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await pg?.drop();
  });

  it('apply, agree with the entities, and revert', async () => {
    await expect(runMigrations(ds)).resolves.toHaveLength(MIGRATIONS.length);
    await expect(pendingSchemaChanges(ds)).resolves.toEqual([]);
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const tables = (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)) as Array<{ tablename: string }>;
    expect(tables.map((t) => t.tablename)).toEqual(['migrations']);
  });
});
