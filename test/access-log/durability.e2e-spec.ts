import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { AccessLogService, type AccessEventInput } from '@acs/access-log';
import { startTestApp } from '../support/test-app.js';
import { buildSite } from '../support/registry-fixture.js';

describe('access history durability', () => {
  it('an acknowledged event is committed: another connection sees it, and so does a restart', async () => {
    const t = await startTestApp();
    const dbFile = join(t.dir, 'acs.sqlite');
    try {
      const site = await buildSite(t);
      const log = t.app.get(AccessLogService);
      const e: AccessEventInput = {
        customerId: null,
        siteId: site.siteId,
        doorId: site.suiteDoorId,
        direction: 'entry',
        result: 'denied',
        reason: 'unknown_finger',
        occurredAt: t.clock.nowMs(),
      };
      const receipts = log.append(Array.from({ length: 50 }, () => e));
      await Promise.all(receipts.map((r) => r.durable));
      // An independent connection, as a restarted process would open the file.
      const other = new Database(dbFile, { readonly: true });
      try {
        const ids = receipts.map((r) => r.id);
        const found = other.prepare(`SELECT COUNT(*) AS n FROM access_event WHERE id IN (${ids.map(() => '?').join(',')})`).get(...ids) as { n: number };
        expect(found.n).toBe(50);
      } finally {
        other.close();
      }
    } finally {
      await t.close();
    }
    expect(existsSync(dbFile)).toBe(false);
  });

  it('events still waiting for their batch are written before the server stops', async () => {
    const t = await startTestApp();
    const keepDir = t.dir;
    const site = await buildSite(t);
    const log = t.app.get(AccessLogService);
    const receipts = log.append(
      Array.from({ length: 30 }, (_, i) => ({
        customerId: null,
        siteId: site.siteId,
        direction: 'entry' as const,
        result: 'denied' as const,
        reason: 'unknown_finger',
        occurredAt: t.clock.nowMs() + i,
      })),
    );
    // Closing the app (not the folder) drains the batcher before the database closes.
    await t.app.close();
    const settled = await Promise.allSettled(receipts.map((r) => r.durable));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(30);
    const db = new Database(join(keepDir, 'acs.sqlite'), { readonly: true });
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM access_event').get() as { n: number }).n).toBe(30);
    } finally {
      db.close();
    }
    rmSync(keepDir, { recursive: true, force: true });
  });
});
