import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { AccessEventEntity } from './access-event.entity.js';
import { TenancyDirectory } from '@acs/registry';
import { AccessLogService } from './access-log.service.js';
import { AccessHistoryErasure } from './history-erasure.js';
import type { AccessCredential, AccessEventInput } from './model.js';

const C1 = '0193a000-0000-7000-8000-0000000000c1';
const C2 = '0193a000-0000-7000-8000-0000000000c2';
const P1 = '0193a000-0000-7000-8000-0000000000a1';
const P2 = '0193a000-0000-7000-8000-0000000000a2';
const SITE = '0193a000-0000-7000-8000-00000000005e';

const event = (i: number, customerId: string, personId: string | null, credential: AccessCredential | null = null): AccessEventInput => ({
  customerId,
  personId,
  siteId: SITE,
  doorId: 'door-1',
  direction: 'entry',
  result: 'granted',
  reason: 'granted',
  occurredAt: Date.parse('2026-11-26T09:00:00Z') + i * 1000,
  credential,
});

describe(AccessHistoryErasure.name, () => {
  let db: TestDatabase;
  let log: AccessLogService;
  let sut: AccessHistoryErasure;

  beforeEach(async () => {
    db = await createLibTestDatabase([AccessEventEntity]);
    log = new AccessLogService(db.dataSource, db.writes, new FakeClock('2026-11-26T10:00:00Z'), db.config, new TenancyDirectory(db.dataSource), {
      maxDelayMs: 1,
    });
    sut = new AccessHistoryErasure(db.dataSource, db.writes);
    // Rows with a credential (version-2 hashes) and without: rechain must rehash both kinds.
    await log.appendDurable([event(1, C1, P1), event(2, C1, P2, 'card+pin'), event(3, C1, P1), event(4, C2, P2), event(5, C1, P2, 'card')]);
  });
  afterEach(async () => {
    await log.flush();
    await db.close();
  });

  it('deletes one chain and leaves the others; runs the hook once', async () => {
    let hooks = 0;
    await sut.deleteHistory(C1, () => hooks++);
    expect(hooks).toBe(1);
    await expect(sut.count({ customerId: C1 })).resolves.toBe(0);
    await expect(sut.head(C1)).resolves.toBeNull();
    await expect(log.verify(C2)).resolves.toMatchObject({ ok: true, checked: 1 });
    await sut.deleteHistory(C1, () => hooks++);
    expect(hooks).toBe(1);
  });

  it("deletes a person's events; rechain makes the chain verify again, renumbered", async () => {
    const before = await sut.head(C1);
    expect(before?.seq).toBe(4);
    await sut.deletePersonEvents(P1);
    await expect(sut.count({ personId: P1 })).resolves.toBe(0);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: false });
    const head = await sut.rechain(C1);
    expect(head?.seq).toBe(2);
    expect(head).toEqual(await sut.head(C1));
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 2, headSeq: 2 });
    expect((await log.findPage({ customerId: C1 }, { limit: 10 })).items.map((e) => e.credential)).toEqual(['card', 'card+pin']);
    // Deterministic: a resumed run reaches the same head and rewrites nothing.
    await expect(sut.rechain(C1)).resolves.toEqual(head);
  });

  it("pseudonymises one customer's events only", async () => {
    await sut.pseudonymise(C1);
    await expect(sut.count({ customerId: C1 })).resolves.toBe(4);
    await expect(sut.count({ personId: P1 })).resolves.toBe(0);
    await expect(sut.count({ personId: P2 })).resolves.toBe(1);
    await sut.rechain(C1);
    await expect(log.verify(C1)).resolves.toMatchObject({ ok: true, checked: 4 });
  });

  it('names the table it writes', () => {
    expect(sut.tables()).toEqual(['access_event']);
  });
});
