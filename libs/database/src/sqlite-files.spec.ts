import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { loadConfig } from '@acs/config';
import { dataSourceOptions } from './data-source-options.js';
import { checkSqliteFiles, DatabaseFileError, sqliteFileSet } from './sqlite-files.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('SQLite file permissions', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'acs-perm-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the database folder 0700 and leaves the database, -wal and -shm 0600 after the first open', async () => {
    const config = loadConfig({ DATA_DIR: join(root, 'data') });
    checkSqliteFiles(config.databasePath);
    expect(mode(join(root, 'data'))).toBe(0o700);
    const ds = new DataSource(dataSourceOptions(config, { entities: [], migrations: [] }));
    await ds.initialize();
    try {
      await ds.query('CREATE TABLE t (v TEXT)');
      await ds.query("INSERT INTO t VALUES ('x')");
      expect(sqliteFileSet(config.databasePath).map(mode)).toEqual([0o600, 0o600, 0o600]);
    } finally {
      await ds.destroy();
    }
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a database file with mode %o, naming the fix', (bad) => {
    const file = join(root, 'acs.sqlite');
    new Database(file).close();
    chmodSync(file, bad);
    expect(() => checkSqliteFiles(file)).toThrow(DatabaseFileError);
    expect(() => checkSqliteFiles(file)).toThrow(/chmod 600/);
  });

  it('refuses a readable -wal next to a private database file', () => {
    const file = join(root, 'acs.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT)');
    chmodSync(file, 0o600);
    chmodSync(`${file}-wal`, 0o644);
    try {
      expect(() => checkSqliteFiles(file)).toThrow(/acs\.sqlite-wal/);
    } finally {
      db.close();
    }
  });

  it('accepts owner-only files and an in-memory database', () => {
    const file = join(root, 'acs.sqlite');
    new Database(file).close();
    chmodSync(file, 0o600);
    expect(() => checkSqliteFiles(file)).not.toThrow();
    expect(() => checkSqliteFiles(':memory:')).not.toThrow();
  });
});
