import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '@acs/config';
import { dataSourceOptions, runMigrations } from '@acs/database';
import { createPostgresDatabase, type ThrowawayPostgres } from '@acs/database/testing';
import { libSchema } from '../../../test/support/lib-database.js';
import { scanTables } from './table-scan.js';

// The erasure's scan on PostgreSQL, on a throwaway database of the local cluster, opened with the
// server's own options. The scan reads the catalogue, not entity metadata: the migrations alone
// make every table it must find.
describe('scanTables on PostgreSQL', () => {
  let pg: ThrowawayPostgres;
  let ds: DataSource;

  beforeAll(async () => {
    pg = await createPostgresDatabase('acs_scan');
    ds = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: pg.url, DATABASE_STATEMENT_TIMEOUT_MS: '7000' }), libSchema([])));
    await ds.initialize();
    await runMigrations(ds);
    await ds.query('CREATE TABLE scan_probe (id integer PRIMARY KEY, t text, v varchar(200), b bytea, j jsonb)');
  });

  afterAll(async () => {
    await ds?.destroy();
    await pg?.drop();
  });

  it('runs with the server options: session name and statement timeout', async () => {
    const [row] = (await ds.query(`SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout`)) as Array<{
      app: string;
      timeout: string;
    }>;
    expect(row).toEqual({ app: 'acs-server', timeout: '7s' });
  });

  it('finds a value in text, varchar, bytea and JSON columns, and nothing once the rows are gone', async () => {
    const marker = 'Zwanenburg-Oudshoorn';
    await ds.query(`INSERT INTO scan_probe VALUES (1, $1, NULL, NULL, NULL), (2, NULL, $2, NULL, NULL), (3, NULL, NULL, $3, NULL), (4, NULL, NULL, NULL, $4)`, [
      `name ${marker}`,
      `${marker}@example`,
      Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(marker), Buffer.from([255])]),
      JSON.stringify({ who: marker }),
    ]);
    const before = await scanTables(ds, [Buffer.from(marker), Buffer.from('not stored anywhere')]);
    expect(before.find((f) => f.file === 'table:scan_probe')).toMatchObject({ hits: 4 });
    expect(before.filter((f) => f.file !== 'table:scan_probe').every((f) => f.hits === 0)).toBe(true);
    expect(before.map((f) => f.file)).toEqual(expect.arrayContaining(['table:person', 'table:access_event', 'table:audit_entry']));

    await ds.query('DELETE FROM scan_probe');
    await ds.query('VACUUM scan_probe');
    const after = await scanTables(ds, [Buffer.from(marker)]);
    expect(after.reduce((n, f) => n + f.hits, 0)).toBe(0);
  });
});
