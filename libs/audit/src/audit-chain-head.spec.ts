import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, type Engine, ENGINES } from '../../../test/support/lib-database.js';
import { planOf, queriesOf } from '../../../test/support/query-plan.js';
import { auditChainHead, auditHashAt } from './audit-chain-head.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditService } from './audit.service.js';

/** What each read's plan must show. */
const PLANS: Record<Engine, { head: RegExp; at: RegExp }> = {
  // seq is the rowid (INTEGER PRIMARY KEY): the newest is read from the end of the table itself.
  sqlite: { head: /^SCAN a$/, at: /SEARCH \S+ USING INTEGER PRIMARY KEY \(rowid=\?\)/ },
  postgres: { head: /Index Scan Backward using \S+ on audit_entry/, at: /Index Cond: \(seq = / },
};

/** The audit chain's head reads, on the migrated schema of both engines the server runs on. */
describe.each(ENGINES)('audit chain head on %s', (engine) => {
  let db: TestDatabase;
  let audit: AuditService;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, [AuditEntryEntity]);
    audit = new AuditService(db.dataSource, db.writes, new FakeClock('2026-12-01T09:00:00Z'));
  });
  afterAll(async () => {
    await db?.close();
  });

  const record = () => audit.record({ actor: { actorType: 'system', actorId: null, role: null }, action: 'test.entry', outcome: 'success' });

  it('is null while the trail is empty, then follows the newest entry', async () => {
    await expect(auditChainHead(db.dataSource.manager)).resolves.toBeNull();
    const first = await record();
    await expect(auditChainHead(db.dataSource.manager)).resolves.toEqual({ seq: first.seq, hash: first.hash });
    await record();
    const third = await record();
    await expect(auditChainHead(db.dataSource.manager)).resolves.toEqual({ seq: 3, hash: third.hash });
  });

  it('gives the stored hash at a position, null where there is no row', async () => {
    const rows = await db.dataSource.getRepository(AuditEntryEntity).find({ order: { seq: 'ASC' } });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    await expect(auditHashAt(db.dataSource.manager, rows[1].seq)).resolves.toBe(rows[1].hash);
    await expect(auditHashAt(db.dataSource.manager, rows.length + 1)).resolves.toBeNull();
  });

  it('each read is one query on the primary key, never a sort of the whole trail', async () => {
    const head = await queriesOf(db.dataSource, () => auditChainHead(db.dataSource.manager));
    const at = await queriesOf(db.dataSource, () => auditHashAt(db.dataSource.manager, 1));
    expect([head.queries.length, at.queries.length]).toEqual([1, 1]);
    const plans = [await planOf(db.dataSource, head.queries[0]), await planOf(db.dataSource, at.queries[0])];
    expect(plans[0].join('\n')).toMatch(PLANS[engine].head);
    expect(plans[0].join('\n')).not.toMatch(/Sort|TEMP B-TREE/);
    expect(plans[1].join('\n')).toMatch(PLANS[engine].at);
  });
});
