import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '@acs/config';
import { dataSourceOptions, pendingSchemaChanges, runMigrations } from '@acs/database';
import { MIGRATIONS, SCHEMA } from '@acs/schema';

describe('migrations', () => {
  let dir: string;
  let ds: DataSource;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acs-mig-'));
    ds = new DataSource(dataSourceOptions(loadConfig({ DATA_DIR: dir }), SCHEMA));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('apply in order on an empty database, leave the entities and the schema in agreement, and revert cleanly', async () => {
    const ran = await runMigrations(ds);
    expect(ran.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name));

    // Anything here is drift: an entity changed without a migration (or the reverse).
    await expect(pendingSchemaChanges(ds)).resolves.toEqual([]);

    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const tables = (await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)) as Array<{
      name: string;
    }>;
    expect(tables.map((t) => t.name)).toEqual(['migrations']);

    // And up again: down() must leave nothing that stops a re-run.
    await expect(runMigrations(ds)).resolves.toHaveLength(MIGRATIONS.length);
  });
});
