import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../../test/support/lib-database.js';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { DataKeyEntity, KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { SIGN_IN_ENTITIES, StaffCredentialEntity } from './sign-in.entities.js';
import { TotpService } from './totp.service.js';

/** TOTP on a fake clock: the ±1 step window, replay refusal, recovery codes, secrets sealed at rest. */
describe(TotpService.name, () => {
  let db: TestDatabase;
  let clock: FakeClock;
  let totp: TotpService;
  let secret: string;
  let recovery: string[];
  let uri: string;
  let pendingOnly: boolean;
  const code = (offsetS = 0) => generate({ secret, epoch: Math.floor(clock.nowMs() / 1000) + offsetS });

  beforeEach(async () => {
    db = await createLibTestDatabase([StaffAccountEntity, DataKeyEntity, ...SIGN_IN_ENTITIES]);
    const ds = db.dataSource;
    // 10 s into a 30 s step, so ±1 step means exactly the neighbouring steps.
    clock = new FakeClock('2026-12-01T09:00:10Z');
    const writes = new WriteQueue(ds);
    const keys = new KeyService(loadConfig({ MASTER_KEY: randomBytes(32).toString('base64') }), ds, writes, clock);
    totp = new TotpService(ds, writes, clock, keys);
    await ds.getRepository(StaffAccountEntity).insert({ id: 'staff-1', username: 'desk-one', role: 'security', createdAt: clock.nowMs(), disabledAt: null });
    const e = await totp.startEnrolment('staff-1', 'desk-one');
    secret = new URL(e.otpauthUri).searchParams.get('secret')!;
    uri = e.otpauthUri;
    pendingOnly = !(await totp.enrolled('staff-1'));
    recovery = await totp.confirmEnrolment('staff-1', await code());
  });
  afterEach(async () => {
    await db.close();
  });

  it('keeps the secret sealed at rest and active only after confirmation', async () => {
    expect(uri).toMatch(/^otpauth:\/\/totp\/ACS:desk-one\?/);
    expect(pendingOnly).toBe(true);
    expect(await totp.enrolled('staff-1')).toBe(true);
    const row = await db.dataSource.getRepository(StaffCredentialEntity).findOneByOrFail({ staffId: 'staff-1' });
    expect(row.totpPendingCt).toBeNull();
    expect(row.totpSecretCt).not.toContain(secret);
    expect(Buffer.from(row.totpSecretCt!, 'base64').toString('latin1')).not.toContain(secret);
  });

  it.each<[string, number, boolean]>([
    ['the previous step', -30, true],
    ['the next step', 30, true],
    ['two steps back', -60, false],
    ['two steps ahead', 60, false],
  ])('accepts a code from %s: %s', async (_name, offsetS, expected) => {
    clock.advance(5 * 60_000); // well past the confirming code's step
    expect(await totp.verifyCode('staff-1', await code(offsetS))).toBe(expected);
  });

  it('refuses a code already used, and an older one after a newer one', async () => {
    clock.advance(5 * 60_000);
    const now = await code();
    const previous = await code(-30);
    expect(await totp.verifyCode('staff-1', now)).toBe(true);
    expect(await totp.verifyCode('staff-1', now)).toBe(false);
    expect(await totp.verifyCode('staff-1', previous)).toBe(false);
    clock.advance(30_000);
    expect(await totp.verifyCode('staff-1', await code())).toBe(true);
  });

  it('refuses the confirming code itself right after enrolment (replay)', async () => {
    expect(await totp.verifyCode('staff-1', await code())).toBe(false);
  });

  it('refuses malformed codes before any HMAC', async () => {
    clock.advance(5 * 60_000);
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(await totp.verifyCode('staff-1', bad)).toBe(false);
  });

  it('takes each recovery code once, in any case and with or without dashes', async () => {
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    expect(await totp.useRecoveryCode('staff-1', recovery[0].toUpperCase())).toBe(true);
    expect(await totp.useRecoveryCode('staff-1', recovery[0])).toBe(false);
    expect(await totp.useRecoveryCode('staff-1', recovery[1].replace(/-/g, ''))).toBe(true);
    expect(await totp.remainingRecoveryCodes('staff-1')).toBe(8);
  });

  it('removes the factor and its recovery codes', async () => {
    await totp.remove('staff-1');
    expect(await totp.enrolled('staff-1')).toBe(false);
    expect(await totp.remainingRecoveryCodes('staff-1')).toBe(0);
    expect(await totp.verifyCode('staff-1', await code())).toBe(false);
  });

  it('refuses a second enrolment while one is active, and a confirmation without one', async () => {
    await expect(totp.startEnrolment('staff-1', 'desk-one')).rejects.toMatchObject({ code: 'totp.already_enrolled' });
    await totp.remove('staff-1');
    await expect(totp.confirmEnrolment('staff-1', '123456')).rejects.toMatchObject({ code: 'totp.no_pending_enrolment' });
  });
});
