import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { nativeSqlite } from '@acs/database';

describe(nativeSqlite.name, () => {
  it('returns the handle TypeORM writes through (a row it inserts is read back natively)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-native-'));
    const ds = new DataSource({ type: 'better-sqlite3', database: join(dir, 'n.sqlite') });
    try {
      expect(() => nativeSqlite(ds)).toThrow('not initialised');
      await ds.initialize();
      await ds.query('CREATE TABLE t (v TEXT)');
      await ds.query(`INSERT INTO t (v) VALUES ('seen')`);
      expect(nativeSqlite(ds).prepare('SELECT v FROM t').all()).toEqual([{ v: 'seen' }]);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses another driver', () => {
    const ds = new DataSource({ type: 'postgres' });
    expect(() => nativeSqlite(ds)).toThrow('not better-sqlite3');
  });
});
