import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@acs/config';
import { dataSourceOptions } from '@acs/database';

const schema = { entities: [], migrations: [] };

describe(dataSourceOptions.name, () => {
  it('uses the SQLite file under DATA_DIR without DATABASE_URL', () => {
    const o = dataSourceOptions(loadConfig({ DATA_DIR: '/srv/acs' }), schema);
    expect(o).toMatchObject({ type: 'better-sqlite3', database: '/srv/acs/acs.sqlite', synchronize: false, migrationsTransactionMode: 'each' });
  });

  it('selects PostgreSQL for DATABASE_URL, with the pool size, a session name and the statement timeout', () => {
    const o = dataSourceOptions(
      loadConfig({ DATABASE_URL: 'postgres://acs:pw@db.example:5432/acs', DATABASE_POOL_SIZE: '4', DATABASE_STATEMENT_TIMEOUT_MS: '1500' }),
      schema,
    );
    expect(o).toMatchObject({
      type: 'postgres',
      url: 'postgres://acs:pw@db.example:5432/acs',
      poolSize: 4,
      applicationName: 'acs-server',
      synchronize: false,
      migrationsTransactionMode: 'each',
      extra: { statement_timeout: 1500 },
    });
  });

  it('sets no statement timeout when it is 0', () => {
    const o = dataSourceOptions(loadConfig({ DATABASE_URL: 'postgres://acs@db/acs', DATABASE_STATEMENT_TIMEOUT_MS: '0' }), schema);
    expect(o).toMatchObject({ type: 'postgres', extra: {} });
    expect((o as { extra: Record<string, unknown> }).extra).not.toHaveProperty('statement_timeout');
  });
});
