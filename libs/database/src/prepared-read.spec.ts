import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestDatabase } from '@acs/database/testing';
import { readRows } from '@acs/database';
import { createLibTestDatabaseOn, ENGINES } from '../../../test/support/lib-database.js';

describe.each(ENGINES)(`${readRows.name} on %s`, (engine) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, []);
    await db.dataSource.query('CREATE TABLE read_probe (id VARCHAR(8) PRIMARY KEY, at BIGINT, note VARCHAR(8))');
    await db.dataSource.query(`INSERT INTO read_probe (id, at, note) VALUES ('a', 1795000000000, NULL), ('b', 2, 'x')`);
  });
  afterAll(() => db?.close());

  it('binds the placeholders in order and returns the rows as the driver gives them', async () => {
    const sql = 'SELECT id, at, note FROM read_probe WHERE id = ? OR at = ? ORDER BY id';
    const rows = await readRows<{ id: string; at: number | string; note: string | null }>(db.dataSource, sql, ['a', 2]);
    expect(rows.map((r) => ({ ...r, at: Number(r.at) }))).toEqual([
      { id: 'a', at: 1795000000000, note: null },
      { id: 'b', at: 2, note: 'x' },
    ]);
    // The same statement again (SQLite: the prepared one) with other values.
    expect(await readRows(db.dataSource, sql, ['none', -1])).toEqual([]);
  });

  it('sees what the shared connection wrote', async () => {
    await db.writes.transaction((m) => m.query(`INSERT INTO read_probe (id, at, note) VALUES ('c', 3, NULL)`));
    expect(await readRows<{ id: string }>(db.dataSource, 'SELECT id FROM read_probe WHERE at = ?', [3])).toEqual([{ id: 'c' }]);
  });
});
