import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { applySqlitePragmas, readSqlitePragmas } from './sqlite.js';

describe(applySqlitePragmas.name, () => {
  it.each([
    ['FULL', 2],
    ['NORMAL', 1],
  ] as const)('sets WAL, secure_delete, foreign keys, busy timeout and synchronous=%s', (synchronous, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-pragma-'));
    const db = new Database(join(dir, 'p.sqlite'));
    try {
      applySqlitePragmas(db, { synchronous, busyTimeoutMs: 4321 });
      expect(readSqlitePragmas(db)).toEqual({
        journal_mode: 'wal',
        synchronous: expected,
        secure_delete: 1,
        foreign_keys: 1,
        busy_timeout: 4321,
      });
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
