import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { hashToken } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { ApiTokenEntity } from './api-token.entity.js';
import { StaffAccountEntity } from './staff-account.entity.js';
import { TokenService } from './token.service.js';

const DAY = 86_400_000;

/** The service over auth's own two tables in the migrated schema the server runs on, with only its own entities mapped. */
describe(TokenService.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let clock: FakeClock;
  let tokens: TokenService;

  beforeEach(async () => {
    db = await createLibTestDatabase([ApiTokenEntity, StaffAccountEntity]);
    ds = db.dataSource;
    clock = new FakeClock('2026-12-01T09:00:00Z');
    tokens = new TokenService(ds, new WriteQueue(ds), clock, loadConfig({ TOKEN_TTL_DAYS: '30' }));
    await ds.getRepository(StaffAccountEntity).insert([
      { id: 'staff-1', username: 'desk-one', role: 'security', customerId: null, createdAt: clock.nowMs(), disabledAt: null },
      { id: 'staff-2', username: 'desk-two', role: 'auditor', customerId: null, createdAt: clock.nowMs(), disabledAt: clock.nowMs() },
      { id: 'cadmin-1', username: 'cust-one-lead', role: 'customer_admin', customerId: 'cust-1', createdAt: clock.nowMs(), disabledAt: null },
      { id: 'cadmin-2', username: 'cust-two-lead', role: 'customer_admin', customerId: 'cust-2', createdAt: clock.nowMs(), disabledAt: null },
    ]);
  });
  afterEach(async () => {
    await db.close();
  });

  it('issues a 256-bit token shown once and stores only its SHA-256', async () => {
    const issued = await tokens.issueForStaff('staff-1');
    expect(issued.token).toMatch(/^acs_[A-Za-z0-9_-]{43}$/);
    const row = await ds.getRepository(ApiTokenEntity).findOneByOrFail({ id: issued.id });
    expect(row.tokenHash).toBe(hashToken(issued.token));
    expect(JSON.stringify(row)).not.toContain(issued.token);
    expect(issued.expiresAt).toBe(clock.nowMs() + 30 * DAY);
  });

  it('authenticates staff and customer tokens to their principal', async () => {
    const staff = await tokens.issueForStaff('staff-1');
    const customer = await tokens.issueForCustomer('cust-1', { ttlDays: 1 });
    expect(await tokens.authenticate(staff.token)).toEqual({ kind: 'staff', tokenId: staff.id, staffId: 'staff-1', role: 'security' });
    expect(await tokens.authenticate(customer.token)).toEqual({ kind: 'customer', tokenId: customer.id, customerId: 'cust-1' });
    expect(await tokens.authenticate(`${staff.token}x`)).toBeNull();
  });

  it('refuses a token at its expiry instant, not a millisecond before', async () => {
    const t = await tokens.issueForCustomer('cust-1', { ttlDays: 1 });
    clock.set(t.expiresAt - 1);
    expect(await tokens.authenticate(t.token)).not.toBeNull();
    clock.set(t.expiresAt);
    expect(await tokens.authenticate(t.token)).toBeNull();
  });

  it('refuses revoked tokens, and revokes all of one owner at once', async () => {
    const a = await tokens.issueForCustomer('cust-1');
    const b = await tokens.issueForCustomer('cust-1');
    const other = await tokens.issueForCustomer('cust-2');
    await tokens.revoke(a.id);
    expect(await tokens.authenticate(a.token)).toBeNull();
    expect(await tokens.revokeAllFor({ customerId: 'cust-1' })).toBe(1);
    expect(await tokens.authenticate(b.token)).toBeNull();
    expect(await tokens.authenticate(other.token)).not.toBeNull();
  });

  it("revokes in the caller's transaction: nothing is revoked when that transaction rolls back", async () => {
    const a = await tokens.issueForCustomer('cust-1');
    const b = await tokens.issueForCustomer('cust-1');
    await tokens.revoke(a.id);
    const at = clock.nowMs() + 5;
    await expect(
      ds.transaction(async (m) => {
        expect(await tokens.revokeAllIn(m, { customerId: 'cust-1' }, at)).toBe(1);
        throw new Error('the step failed after revoking');
      }),
    ).rejects.toThrow('the step failed');
    expect(await tokens.authenticate(b.token)).not.toBeNull();
    expect(await ds.transaction((m) => tokens.revokeAllIn(m, { customerId: 'cust-1' }, at))).toBe(1);
    expect(await tokens.authenticate(b.token)).toBeNull();
    const rows = await ds.getRepository(ApiTokenEntity).findBy({ customerId: 'cust-1' });
    // The one revoked earlier keeps its own instant.
    expect(rows.map((r) => r.revokedAt === at).sort()).toEqual([false, true]);
  });

  it('refuses tokens of a disabled staff account, and will not issue one for it', async () => {
    await expect(tokens.issueForStaff('staff-2')).rejects.toMatchObject({ code: 'staff_account.not_found' });
    const t = await tokens.issueForStaff('staff-1');
    await ds.getRepository(StaffAccountEntity).update({ id: 'staff-1' }, { disabledAt: clock.nowMs() });
    expect(await tokens.authenticate(t.token)).toBeNull();
  });

  it('issues no token for a customer administrator (a person who signs in)', async () => {
    await expect(tokens.issueForStaff('cadmin-1')).rejects.toMatchObject({ code: 'staff.customer_admin_no_token' });
  });

  it('disables the customer’s administrators when its tokens are revoked (its end), and no other customer’s', async () => {
    const at = clock.nowMs();
    await ds.transaction((m) => tokens.revokeAllIn(m, { customerId: 'cust-1' }, at));
    const rows = await ds.getRepository(StaffAccountEntity).find({ order: { id: 'ASC' } });
    expect(rows.map((r) => [r.id, r.disabledAt])).toEqual([
      ['cadmin-1', at],
      ['cadmin-2', null],
      ['staff-1', null],
      ['staff-2', at],
    ]);
  });
});
