import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { hashToken } from '@acs/crypto';
import { readRows, WriteQueue } from '@acs/database';
import { DomainError, NotFoundError } from '@acs/http';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { PasswordHasher } from './password-hasher.js';
import { checkPassword, MAX_PASSWORD_LENGTH } from './password-policy.js';
import { PasswordResetEntity, StaffCredentialEntity } from './sign-in.entities.js';
import { type IssuedReset, PasswordResets } from './password-resets.js';
import { SessionService } from './session.service.js';

export type { IssuedReset } from './password-resets.js';

/** Staff passwords: policy, Argon2id hashes, administrator resets and the user's own change. */
@Injectable()
export class PasswordService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly resets: PasswordResets,
  ) {}

  /** The stored hash of an enabled account's password, or null (no account, disabled, or no password yet). */
  async hashOf(staffId: string): Promise<string | null> {
    // A prepared read: every sign-in asks, and TypeORM's findOne cost more loop time than the row (readRows).
    const [row] = await readRows<{ password_hash: string | null }>(this.dataSource, 'SELECT password_hash FROM staff_credential WHERE staff_id = ?', [staffId]);
    return row?.password_hash ?? null;
  }

  /** A one-time token that lets the account set a new password; earlier unused tokens stop working. */
  issueReset(staffId: string): Promise<IssuedReset> {
    return this.resets.issue(staffId);
  }

  /** Sets the password a reset token allows, spends the token and ends the account's sessions. Returns the staff id. */
  async completeReset(token: string, newPassword: string): Promise<string> {
    const now = this.clock.nowMs();
    const reset = await this.dataSource
      .getRepository(PasswordResetEntity)
      .findOne({ where: { tokenHash: hashToken(token), usedAt: IsNull(), expiresAt: MoreThan(now) } });
    const staff = reset ? await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: reset.staffId, disabledAt: IsNull() } }) : null;
    if (!reset || !staff) throw new DomainError('password.reset_invalid', 'the reset token is unknown, used or expired', 400);
    this.enforcePolicy(newPassword, staff.username);
    const hash = await this.hasher.hash(newPassword);
    await this.writes.transaction(async (m) => {
      const spent = await m.update(PasswordResetEntity, { id: reset.id, usedAt: IsNull() }, { usedAt: now });
      if ((spent.affected ?? 0) === 0) throw new DomainError('password.reset_invalid', 'the reset token is unknown, used or expired', 400);
      await this.store(m, staff.id, hash, now);
      await this.sessions.revokeAllIn(m, staff.id, now);
    });
    return staff.id;
  }

  /** Re-authentication before a change of second factors: the current password, or `password.current_wrong`. */
  async confirm(staffId: string, current: string): Promise<void> {
    const hash = await this.hashOf(staffId);
    const ok = hash ? await this.hasher.verify(hash, current) : await this.hasher.verifyDummy(current);
    if (!ok) throw new DomainError('password.current_wrong', 'the current password is not correct', 403);
  }

  /** The user's own change: the current password is required; the other sessions end. */
  async change(staffId: string, current: string, next: string, keepSession?: string): Promise<void> {
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: staffId, disabledAt: IsNull() } });
    if (!staff) throw new NotFoundError('Staff account', staffId);
    const hash = await this.hashOf(staffId);
    const ok = hash ? await this.hasher.verify(hash, current) : await this.hasher.verifyDummy(current);
    if (!ok) throw new DomainError('password.current_wrong', 'the current password is not correct', 403);
    this.enforcePolicy(next, staff.username);
    const nextHash = await this.hasher.hash(next);
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m) => {
      await this.store(m, staffId, nextHash, now);
      await this.sessions.revokeAllIn(m, staffId, now, keepSession);
    });
  }

  /** Re-hashes a verified password whose hash has older parameters (called after a successful sign-in). */
  async rehashIfNeeded(staffId: string, hash: string, password: string): Promise<void> {
    if (!this.hasher.needsRehash(hash)) return;
    const next = await this.hasher.hash(password);
    await this.writes.transaction((m) => m.update(StaffCredentialEntity, { staffId, passwordHash: hash }, { passwordHash: next }));
  }

  private enforcePolicy(password: string, username: string): void {
    const refusal = checkPassword(password, { minLength: this.config.PASSWORD_MIN_LENGTH, maxLength: MAX_PASSWORD_LENGTH }, username);
    if (refusal) throw new DomainError(refusal, POLICY_DETAIL[refusal], 400, { minLength: this.config.PASSWORD_MIN_LENGTH });
  }

  private async store(m: import('typeorm').EntityManager, staffId: string, hash: string, now: number): Promise<void> {
    const exists = await m.findOne(StaffCredentialEntity, { where: { staffId } });
    if (exists) await m.update(StaffCredentialEntity, { staffId }, { passwordHash: hash, passwordSetAt: now });
    else
      await m.insert(StaffCredentialEntity, {
        staffId,
        passwordHash: hash,
        passwordSetAt: now,
        totpSecretCt: null,
        totpPendingCt: null,
        totpEnabledAt: null,
        totpLastStep: null,
      });
  }
}

const POLICY_DETAIL: Record<string, string> = {
  'password.too_short': 'the password is shorter than the minimum length',
  'password.too_long': `the password is longer than ${MAX_PASSWORD_LENGTH} characters`,
  'password.common': 'the password is on the list of common passwords',
  'password.same_as_username': 'the password contains the username',
};
