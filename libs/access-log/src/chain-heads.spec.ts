import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { TenancyDirectory } from '@acs/registry';
import { createLibTestDatabaseOn, type Engine, ENGINES } from '../../../test/support/lib-database.js';
import { planOf, queriesOf } from '../../../test/support/query-plan.js';
import { AccessEventEntity } from './access-event.entity.js';
import { AccessLogService } from './access-log.service.js';
import { historyChainHeads, historyHashesAt } from './chain-heads.js';
import type { AccessEventInput } from './model.js';

const C1 = '0193a000-0000-7000-8000-0000000000c1';
const C2 = '0193a000-0000-7000-8000-0000000000c2';
const C3 = '0193a000-0000-7000-8000-0000000000c3'; // a customer without events
const SITE = '0193a000-0000-7000-8000-00000000005e';
const SITE2 = '0193a000-0000-7000-8000-00000000005f'; // a site without events

const event = (i: number, customerId: string | null): AccessEventInput => ({
  customerId,
  personId: null,
  siteId: SITE,
  direction: 'entry',
  result: customerId ? 'granted' : 'denied',
  reason: customerId ? 'granted' : 'unknown_finger',
  occurredAt: Date.parse('2026-11-26T09:00:00Z') + i * 1000,
});

/**
 * Plan steps that read access_event without the chain id bounding them (a scan of the whole table
 * or index). SQLite: any SCAN but the one over the JSON candidates. PostgreSQL: a scan on
 * access_event whose next line is not an Index Cond on chain_id.
 */
const UNBOUNDED_READS: Record<Engine, (plan: string[]) => string[]> = {
  sqlite: (plan) => plan.filter((l) => /^SCAN /.test(l) && !/VIRTUAL TABLE/.test(l)),
  postgres: (plan) => plan.filter((l, i) => / on access_event /.test(l) && !/Index Cond: .*\bchain_id\b/.test(plan[i + 1] ?? '')),
};

/** The access log's chain-head reads, on the migrated schema of both engines the server runs on. */
describe.each(ENGINES)('chain heads of the access history on %s', (engine) => {
  let db: TestDatabase;
  let log: AccessLogService;

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, [AccessEventEntity]);
    log = new AccessLogService(db.dataSource, db.writes, new FakeClock('2026-11-26T10:00:00Z'), db.config, new TenancyDirectory(db.dataSource), {
      maxDelayMs: 1,
    });
    // C1: 3 events, C2: 1, the site chain: 2.
    await log.appendDurable([event(1, C1), event(2, C2), event(3, null), event(4, C1), event(5, null), event(6, C1)]);
  });
  afterAll(async () => {
    await log?.flush();
    await db?.close();
  });

  /** Each chain's newest row, read the plain way (all rows of the chain) to compare with. */
  async function newest(chainId: string): Promise<{ seq: number; hash: string }> {
    const rows = await db.dataSource.getRepository(AccessEventEntity).find({ where: { chainId } });
    const top = rows.reduce((a, b) => (b.seq > a.seq ? b : a));
    return { seq: top.seq, hash: top.hash };
  }

  it("gives the head of every named owner's chain that has events, in chain-id order", async () => {
    const heads = await historyChainHeads(db.dataSource.manager, { customerIds: [C3, C2, C1], siteIds: [SITE2, SITE] });
    expect(Object.keys(heads)).toEqual([C1, C2, `site:${SITE}`]);
    expect(heads).toEqual({ [C1]: await newest(C1), [C2]: await newest(C2), [`site:${SITE}`]: await newest(`site:${SITE}`) });
    expect(heads[C1].seq).toBe(3);
    expect(heads[`site:${SITE}`].seq).toBe(2);
  });

  it('leaves out chains whose owner is not named', async () => {
    expect(Object.keys(await historyChainHeads(db.dataSource.manager, { customerIds: [C2], siteIds: [] }))).toEqual([C2]);
    expect(await historyChainHeads(db.dataSource.manager, { customerIds: [], siteIds: [] })).toEqual({});
  });

  it('is one query that reaches access_event only through the (chain_id, seq) index', async () => {
    const { queries } = await queriesOf(db.dataSource, () => historyChainHeads(db.dataSource.manager, { customerIds: [C1, C2], siteIds: [SITE] }));
    expect(queries).toHaveLength(1);
    const plan = await planOf(db.dataSource, queries[0]);
    expect(plan.join('\n')).toContain('uq_access_event_chain_seq');
    expect(UNBOUNDED_READS[engine](plan)).toEqual([]);
  });

  it('gives the stored hashes at several positions in one query through the unique index, null where there is no row', async () => {
    const second = (await db.dataSource.getRepository(AccessEventEntity).findOneByOrFail({ chainId: C1, seq: 2 })).hash;
    const first = (await db.dataSource.getRepository(AccessEventEntity).findOneByOrFail({ chainId: C2, seq: 1 })).hash;
    const positions = [
      { chainId: C1, seq: 2 },
      { chainId: C1, seq: 4 },
      { chainId: C3, seq: 1 },
      { chainId: C2, seq: 1 },
    ];
    const { result, queries } = await queriesOf(db.dataSource, () => historyHashesAt(db.dataSource.manager, positions));
    expect(result).toEqual(
      new Map([
        [`${C1}#2`, second],
        [`${C1}#4`, null],
        [`${C3}#1`, null],
        [`${C2}#1`, first],
      ]),
    );
    expect(queries).toHaveLength(1);
    const plan = await planOf(db.dataSource, queries[0]);
    expect(plan.join('\n')).toContain('uq_access_event_chain_seq');
    expect(UNBOUNDED_READS[engine](plan)).toEqual([]);
    await expect(historyHashesAt(db.dataSource.manager, [])).resolves.toEqual(new Map());
  });
});
