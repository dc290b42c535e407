import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AccessLogService, type AccessEventInput } from '@acs/access-log';
import { openRawStore } from '../support/raw-store.js';
import { startTestApp } from '../support/test-app.js';
import { dropDatabaseFor } from '../support/test-database.js';
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
      // An independent connection, as a restarted process would open the database.
      const other = await openRawStore(t.dir, { readonly: true });
      try {
        const ids = receipts.map((r) => r.id);
        const [found] = await other.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM access_event WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
        expect(Number(found.n)).toBe(50);
      } finally {
        await other.close();
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
    const db = await openRawStore(keepDir, { readonly: true });
    try {
      const [row] = await db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM access_event');
      expect(Number(row.n)).toBe(30);
    } finally {
      await db.close();
    }
    await dropDatabaseFor(keepDir);
    rmSync(keepDir, { recursive: true, force: true });
  });
});
