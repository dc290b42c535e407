import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { csrfTokenOf, SessionService } from './session.service.js';
import { BrowserSessionEntity, SIGN_IN_ENTITIES } from './sign-in.entities.js';

const MINUTE = 60_000;

/** Sessions on a fake clock: idle and absolute timeouts, rotation, revocation. */
describe(SessionService.name, () => {
  let db: TestDatabase;
  let clock: FakeClock;
  let sessions: SessionService;

  beforeEach(async () => {
    db = await createLibTestDatabase([StaffAccountEntity, ...SIGN_IN_ENTITIES]);
    clock = new FakeClock('2026-12-01T09:00:00Z');
    sessions = new SessionService(db.dataSource, new WriteQueue(db.dataSource), clock, loadConfig({ SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '2' }));
    await db.dataSource
      .getRepository(StaffAccountEntity)
      .insert({ id: 'staff-1', username: 'desk-one', role: 'security', createdAt: clock.nowMs(), disabledAt: null });
  });
  afterEach(async () => {
    await db.close();
  });

  it('stores only hashes of the cookie value and the CSRF token', async () => {
    const s = await sessions.create('staff-1', 'active');
    const row = await db.dataSource.getRepository(BrowserSessionEntity).findOneByOrFail({ id: s.session.id });
    expect(JSON.stringify(row)).not.toContain(s.token);
    expect(JSON.stringify(row)).not.toContain(s.csrfToken);
    expect(s.csrfToken).toBe(csrfTokenOf(s.token));
    expect(sessions.csrfMatches(row, s.csrfToken)).toBe(true);
    expect(sessions.csrfMatches(row, csrfTokenOf(`${s.token}x`))).toBe(false);
    expect(sessions.csrfMatches(row, undefined)).toBe(false);
  });

  it('ends a session idle for the idle timeout, not a millisecond before', async () => {
    const s = await sessions.create('staff-1', 'active');
    clock.advance(30 * MINUTE - 1);
    expect(await sessions.authenticate(s.token)).not.toBeNull();
    clock.advance(30 * MINUTE - 1);
    expect(await sessions.authenticate(s.token)).not.toBeNull();
    clock.advance(30 * MINUTE);
    expect(await sessions.authenticate(s.token)).toBeNull();
  });

  it('ends a busy session at its absolute timeout', async () => {
    const s = await sessions.create('staff-1', 'active');
    for (let i = 0; i < 7; i++) {
      clock.advance(15 * MINUTE);
      expect(await sessions.authenticate(s.token)).not.toBeNull();
    }
    clock.advance(15 * MINUTE);
    expect(await sessions.authenticate(s.token)).toBeNull();
  });

  it('rotates: the session a new one replaces stops working', async () => {
    const old = await sessions.create('staff-1', 'totp_enrolment');
    const next = await sessions.create('staff-1', 'active', old.session.id);
    expect(await sessions.authenticate(old.token)).toBeNull();
    expect((await sessions.authenticate(next.token))?.state).toBe('active');
  });

  it('revokes one of its owner’s sessions, never another’s, and all but one', async () => {
    await db.dataSource
      .getRepository(StaffAccountEntity)
      .insert({ id: 'staff-2', username: 'desk-two', role: 'auditor', createdAt: clock.nowMs(), disabledAt: null });
    const a = await sessions.create('staff-1', 'active');
    const b = await sessions.create('staff-1', 'active');
    const c = await sessions.create('staff-1', 'active');
    const other = await sessions.create('staff-2', 'active');
    expect(await sessions.revoke('staff-2', a.session.id)).toBe(false);
    expect(await sessions.revoke('staff-1', a.session.id)).toBe(true);
    expect(await sessions.revokeAllFor('staff-1', c.session.id)).toBe(1);
    expect(await sessions.authenticate(b.token)).toBeNull();
    expect(await sessions.authenticate(c.token)).not.toBeNull();
    expect(await sessions.authenticate(other.token)).not.toBeNull();
    expect((await sessions.listFor('staff-1')).map((s) => s.id)).toEqual([c.session.id]);
  });
});
