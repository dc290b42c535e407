import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { pendingSchemaChanges, runMigrations } from '@acs/database';
import { ENTITIES, MIGRATIONS } from '@acs/schema';

// The same migrations must build the same schema on PostgreSQL (the scale-out database). These
// machines run PostgreSQL on 127.0.0.1:5432 with trust authentication; each run uses its own
// throwaway database.
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

describe('migrations on PostgreSQL', () => {
  const name = `acs_mig_${randomBytes(4).toString('hex')}`;
  let admin: DataSource;
  let ds: DataSource;

  beforeAll(async () => {
    admin = new DataSource({ type: 'postgres', url: ADMIN_URL });
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${name}`);
    ds = new DataSource({ type: 'postgres', url: ADMIN_URL.replace(/\/postgres$/, `/${name}`), entities: ENTITIES, migrations: MIGRATIONS });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await admin?.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin?.destroy();
  });

  it('apply, agree with the entities, and revert', async () => {
    await expect(runMigrations(ds)).resolves.toHaveLength(MIGRATIONS.length);
    await expect(pendingSchemaChanges(ds)).resolves.toEqual([]);
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const tables = (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)) as Array<{ tablename: string }>;
    expect(tables.map((t) => t.tablename)).toEqual(['migrations']);
  });
});
