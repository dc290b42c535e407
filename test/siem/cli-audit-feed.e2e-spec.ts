import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, jest } from '@jest/globals';

jest.setTimeout(120_000);

/**
 * acsctl is a process of its own: the staff changes it makes (accounts, tokens) reach the SIEM
 * outbox in their audit entries' transactions, for the server's sender to ship (docs/siem.md).
 * SQLite only: the outbox table and the feed are the same on PostgreSQL (test/siem covers both).
 */
describe('acsctl audit entries and the SIEM outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-siem-cli-'));
  const base = { PATH: process.env.PATH, DATA_DIR: dir, MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'error' };
  const acsctl = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { ...base, ...extra }, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`acsctl ${args[0]} exited ${r.status}: ${r.stderr.slice(-1000)}`);
    return r.stdout;
  };
  const outbox = () => {
    const db = new Database(join(dir, 'acs.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT category, event_id AS eventId, fields FROM siem_outbox ORDER BY seq').all() as Array<{
        category: string;
        eventId: string;
        fields: string;
      }>;
    } finally {
      db.close();
    }
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('queues a staff change made with the export configured, nothing without it, and never the username', () => {
    acsctl(['migration:run']);
    acsctl(['staff:create', '--role', 'admin', '--username', 'quiet-admin-x7', '--json']);
    expect(outbox()).toEqual([]);
    acsctl(['staff:create', '--role', 'security', '--username', 'desk-operator-q4', '--json'], { SIEM_SYSLOG_URL: 'tls://127.0.0.1:6514' });
    const rows = outbox();
    expect(rows.map((r) => r.category)).toContain('staff-change');
    expect(rows.every((r) => r.eventId.startsWith('audit:'))).toBe(true);
    expect(JSON.stringify(rows)).not.toMatch(/desk-operator-q4|quiet-admin-x7/);
  });
});
